from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health and readiness views, metrics, logging, and the `migrate` that several hosts can run."""

    name = "ops"
