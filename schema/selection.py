"""What an operation asks for below a field (Strawberry's selected_fields, fragments included), so a resolver can
load only what will be read."""

from collections.abc import Collection, Sequence

import strawberry
from strawberry.types.nodes import SelectedField, Selection


def selects(info: strawberry.Info, path: Sequence[str], names: Collection[str]) -> bool:
    """Whether a field named in `names` (GraphQL names) is selected at `path` below this resolver's field, through
    fragment spreads and inline fragments. Errs towards True: a field under @skip counts as selected."""
    return any(_selects(field.selections, path, names) for field in info.selected_fields)


def _selects(selections: Sequence[Selection], path: Sequence[str], names: Collection[str]) -> bool:
    for selection in selections:
        if not isinstance(selection, SelectedField):  # a fragment: its selections stand where it stands
            if _selects(selection.selections, path, names):
                return True
        elif path:
            if selection.name == path[0] and _selects(selection.selections, path[1:], names):
                return True
        elif selection.name in names:
            return True
    return False
