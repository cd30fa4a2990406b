"""What an operation asks for below a field, fragments included, so a resolver can load only what will be read."""

from collections.abc import Collection, Mapping, Sequence

import strawberry
from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, SelectionSetNode


def selects(info: strawberry.Info, path: Sequence[str], names: Collection[str]) -> bool:
    """Whether a field named in `names` (GraphQL field names, not aliases) is selected at `path` below this
    resolver's field, through fragment spreads and inline fragments. Errs towards True: a field under @skip counts
    as selected.

    Read from the operation's syntax tree: Strawberry's `selected_fields` builds a copy of the whole selection with
    its arguments resolved, about 50 us for a page's (bench/README.md, issue 15)."""
    raw = info._raw_info
    return any(_selects(node.selection_set, path, names, raw.fragments) for node in raw.field_nodes)


def _selects(
    selection_set: SelectionSetNode | None,
    path: Sequence[str],
    names: Collection[str],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> bool:
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if path:
                if name == path[0] and _selects(selection.selection_set, path[1:], names, fragments):
                    return True
            elif name in names:
                return True
        else:  # a fragment: its selections stand where it stands (validation rules out cycles)
            fragment = fragments.get(selection.name.value) if isinstance(selection, FragmentSpreadNode) else selection
            if fragment is not None and _selects(fragment.selection_set, path, names, fragments):
                return True
    return False
