"""Issue 13's GraphQL contract, as the issue writes it, against the committed schema: every type, field, argument
and input field with its exact type and default. Fields and arguments may be added, never renamed or reshaped (an
added argument or input field must be optional)."""

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, Undefined, build_schema

from schema.export import SCHEMA_FILE

# Verbatim from the issue; the stubs at the end only make it parse on its own.
ISSUE_13 = """
type Budget { id: ID!  category: String!  currency: String!  amount: Decimal!  startMonth: String!  endMonth: String
              rollover: Boolean! }
type BudgetLine { category: String!  budgeted: Decimal!  carriedOver: Decimal!  spent: Decimal!  available: Decimal!
                  overspent: Boolean! }
type BudgetReport { month: String!  currency: String!  lines: [BudgetLine!]!  totalBudgeted: Decimal!
                    totalSpent: Decimal!  unbudgetedSpent: Decimal! }
extend type Query { budgets: [Budget!]!  budgetReport(month: String!, currency: String): BudgetReport! }
type BudgetPayload { budget: Budget  errors: [FieldError!]! }
input SetBudgetInput { category: String!  amount: Decimal!  currency: String  fromMonth: String!  endMonth: String
                       rollover: Boolean = false }
extend type Mutation { setBudget(input: SetBudgetInput!): BudgetPayload!  deleteBudget(id: ID!): DeletePayload! }

enum Frequency { DAILY WEEKLY MONTHLY YEARLY }
type RecurringRule { id: ID!  account: Account!  amount: Decimal!  type: TransactionType!  category: String!
  description: String!  frequency: Frequency!  interval: Int!  startDate: Date!  endDate: Date  count: Int
  nextDate: Date  paused: Boolean! }
type Occurrence { date: Date!  rule: RecurringRule!  amount: Decimal!  transaction: Transaction }
extend type Query { recurringRules: [RecurringRule!]!  upcoming(days: Int = 30): [Occurrence!]! }
type RecurringRulePayload { rule: RecurringRule  errors: [FieldError!]! }
input CreateRecurringRuleInput { accountId: ID  amount: Decimal!  type: TransactionType!  category: String
  description: String  frequency: Frequency!  interval: Int = 1  startDate: Date!  endDate: Date  count: Int
  idempotencyKey: String }
input UpdateRecurringRuleInput { amount: Decimal  category: String  description: String  endDate: Date  count: Int }
extend type Mutation {
  createRecurringRule(input: CreateRecurringRuleInput!): RecurringRulePayload!
  updateRecurringRule(id: ID!, input: UpdateRecurringRuleInput!): RecurringRulePayload!
  pauseRecurringRule(id: ID!): RecurringRulePayload!    resumeRecurringRule(id: ID!): RecurringRulePayload!
  deleteRecurringRule(id: ID!): DeletePayload!
  skipOccurrence(ruleId: ID!, date: Date!): RecurringRulePayload!
}
"""
_STUBS = """
scalar Decimal scalar Date type Query { _: Int } type Mutation { _: Int } type FieldError { _: Int }
type DeletePayload { _: Int } type Account { _: Int } type Transaction { _: Int } enum TransactionType { INCOME }
"""
_STUB_NAMES = {"Query", "Mutation", "FieldError", "DeletePayload", "Account", "Transaction", "TransactionType"}


def _contract_types() -> dict:
    contract = build_schema(_STUBS + ISSUE_13)
    return {
        name: kind
        for name, kind in contract.type_map.items()
        if not name.startswith("__") and (name in {"Query", "Mutation"} or name not in _STUB_NAMES)
    }


def test_every_type_field_and_argument_of_the_contract_is_served_as_written() -> None:
    served = build_schema(SCHEMA_FILE.read_text())
    checked = 0
    for name, wanted in _contract_types().items():
        if isinstance(wanted, GraphQLEnumType):
            assert list(served.type_map[name].values) == list(wanted.values), name
            continue
        if not isinstance(wanted, GraphQLObjectType | GraphQLInputObjectType):
            continue
        given = served.type_map[name]
        for field_name, field in wanted.fields.items():
            if field_name == "_":
                continue
            assert field_name in given.fields, f"{name}.{field_name} is missing"
            served_field = given.fields[field_name]
            assert str(served_field.type) == str(field.type), f"{name}.{field_name}"
            if isinstance(wanted, GraphQLInputObjectType):
                _same_default(served_field, field, f"{name}.{field_name}")
            else:
                for arg_name, arg in field.args.items():
                    assert arg_name in served_field.args, f"{name}.{field_name}({arg_name}) is missing"
                    assert str(served_field.args[arg_name].type) == str(arg.type), f"{name}.{field_name}({arg_name})"
                    _same_default(served_field.args[arg_name], arg, f"{name}.{field_name}({arg_name})")
                extra = set(served_field.args) - set(field.args)
                assert not [a for a in extra if str(served_field.args[a].type).endswith("!")], f"{name}.{field_name}"
            checked += 1
        if isinstance(wanted, GraphQLInputObjectType):
            extra = set(given.fields) - set(wanted.fields)
            assert not [f for f in extra if str(given.fields[f].type).endswith("!")], f"{name}: a required addition"
    assert checked >= 60  # the contract above has 66 fields: nothing was skipped by mistake


def _same_default(served: object, wanted: object, where: str) -> None:
    """A default the contract writes must be served as written; where it writes none, an optional value may show
    `= null` (Strawberry's rendering of an omitted optional argument), which means the same."""
    if wanted.default_value is Undefined:
        assert served.default_value in (Undefined, None), where
    else:
        assert served.default_value == wanted.default_value, where


def test_the_contract_parses_with_its_defaults() -> None:
    """Guards the test itself: the defaults it compares are read from the issue's text, not left undefined."""
    types = _contract_types()
    assert types["Query"].fields["upcoming"].args["days"].default_value == 30
    assert types["CreateRecurringRuleInput"].fields["interval"].default_value == 1
    assert types["SetBudgetInput"].fields["rollover"].default_value is False
    assert types["Query"].fields["budgetReport"].args["currency"].default_value is Undefined
