"""Category identity: one rule for what makes two spellings the same category, and the name shown for it.

"Groceries", "groceries " and "GROCERIES" are one category; so are "Straße" and "STRASSE" (Unicode full case
folding, as `str.casefold` does it, after trimming whitespace). The key is computed here only, stored beside each
transaction (`category_key`), and read from there by the filter, the analytics and the Go aggregator, so no second
implementation can disagree. Analytics show the spelling of the user's most recent write (`CategoryName`).
"""

from collections.abc import Iterable, Mapping

from django.db import connection
from django.utils import timezone


def category_key(name: str) -> str:
    """The identity of a category name: trimmed and case-folded."""
    return name.strip().casefold()


def remember_names(user_id: object, names: Iterable[str]) -> None:
    """Record `names` as the user's current spellings of their keys (the last of each key wins); call inside the
    write's atomic block."""
    from ledger.models import CategoryName  # ledger.models uses category_key(): imported here, not at the top

    latest = {category_key(name): name for name in names}
    if not latest:
        return
    field = CategoryName._meta.get_field
    user_param = field("user").get_db_prep_value(user_id, connection)
    now = field("used_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.executemany(
            CATEGORY_NAME_UPSERT.format(named="VALUES (%s, %s, %s, %s)"),
            [(user_param, key, name, now) for key, name in sorted(latest.items())],
        )


# `named` gives (user_id, key, name, used_at): VALUES here, a SELECT in a write done in one statement.
CATEGORY_NAME_UPSERT = (
    "INSERT INTO ledger_categoryname (user_id, key, name, used_at) {named} "
    "ON CONFLICT (user_id, key) DO UPDATE SET name = excluded.name, used_at = excluded.used_at"
)


def names_for(user_id: object, seen: Mapping[str, str]) -> dict[str, str]:
    """key -> the spelling to show: the user's stored name, else the spelling `seen` gives for the key (one found
    in the data, for rows written without a name, e.g. by hand)."""
    from ledger.models import CategoryName

    stored = dict(CategoryName.objects.filter(user_id=user_id, key__in=list(seen)).values_list("key", "name"))
    return {key: stored.get(key, spelling) for key, spelling in seen.items()}
