"""Amounts as the API writes them, for the expected answers of the cases."""


def api_amount(minor: int) -> str:
    """Two decimals, a minus when negative: the API's Decimal for a two-digit currency."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"
