"""Validation rules that refuse abusive documents before any resolver runs.

Strawberry's QueryDepthLimiter, MaxAliasesLimiter and MaxTokensLimiter cover depth, aliases (fragments included)
and document size. These add what they lack: a cap on field selections counted through every fragment spread
(repeated fields and fragment fan-out), and a cap on directives (directive overloading).
"""

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from graphql.language import DirectiveNode

from schema.error_codes import QUERY_TOO_COMPLEX

MAX_FIELD_SELECTIONS = 250
MAX_DIRECTIVES = 10


def _count_fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode], budget: int, seen: tuple
) -> int:
    """Fields selected, expanding spreads each time they appear; stops early once over `budget`."""
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += 1 + _count_fields(selection.selection_set, fragments, budget - total, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _count_fields(selection.selection_set, fragments, budget - total, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # cycles are another rule's error
                total += _count_fields(fragment.selection_set, fragments, budget - total, (*seen, name))
        if total > budget:
            break
    return total


class MaxFieldSelectionsRule(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
        fragments = {
            definition.name.value: definition
            for definition in self.context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        if _count_fields(node.selection_set, fragments, MAX_FIELD_SELECTIONS, ()) > MAX_FIELD_SELECTIONS:
            self.report_error(
                GraphQLError(
                    f"The operation selects more than {MAX_FIELD_SELECTIONS} fields (fragments expanded).",
                    node,
                    extensions={"code": QUERY_TOO_COMPLEX},
                )
            )


class MaxDirectivesRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        self.count += 1
        if self.count == MAX_DIRECTIVES + 1:
            self.report_error(
                GraphQLError(
                    f"The document uses more than {MAX_DIRECTIVES} directives.",
                    node,
                    extensions={"code": QUERY_TOO_COMPLEX},
                )
            )
