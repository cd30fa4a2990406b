"""Today's date for the ledger: the calendar date in the server's TIME_ZONE, or LEDGER_TODAY when set.

LEDGER_TODAY (an ISO date) moves the clock by configuration, for demos and end-to-end tests of recurring rules; the
Go aggregator reads the same variable (its --today flag), so the API and the binary agree on what is due.
"""

import datetime

from django.conf import settings
from django.utils import timezone


def today() -> datetime.date:
    return settings.LEDGER_TODAY or timezone.localdate()
