"""Text the databases can store."""


def is_storable(text: str) -> bool:
    """False for text with NUL characters (PostgreSQL cannot store them) or lone surrogates (UTF-8 cannot encode
    them): letting either through would turn bad input into a server error."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
