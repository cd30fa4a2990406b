from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class LedgerConfig(AppConfig):
    name = "ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ledger.currencies import DIGITS  # noqa: PLC0415 (apps load before models may be imported)

        # Refuse to start rather than give new users (or the accounts migration) an account in no currency.
        if settings.DEFAULT_CURRENCY not in DIGITS:
            raise ImproperlyConfigured(
                f"DEFAULT_CURRENCY={settings.DEFAULT_CURRENCY!r} is not an ISO 4217 currency code with minor units "
                '(e.g. "USD", "EUR", "JPY").'
            )
