from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health and readiness views, metrics, logging, and the `migrate` that several hosts can run."""

    name = "ops"

    def ready(self) -> None:
        from storage.connections import connect_signals  # noqa: PLC0415 (after the apps are loaded)

        connect_signals()
