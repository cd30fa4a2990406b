"""Issue 13's GraphQL contract, as the issue writes it, against the committed schema: every type, field, argument
and input field with its exact type and default. Fields and arguments may be added, never renamed or reshaped (an
added argument or input field must be optional)."""

from graphql import Undefined, build_schema

from tests.schema.contracts import contract_types, served_as_written

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
    return contract_types(build_schema(_STUBS + ISSUE_13), _STUB_NAMES)


def test_every_type_field_and_argument_of_the_contract_is_served_as_written() -> None:
    checked = served_as_written(build_schema(_STUBS + ISSUE_13), _STUB_NAMES)
    assert checked >= 60  # the contract above has 66 fields: nothing was skipped by mistake


def test_the_contract_parses_with_its_defaults() -> None:
    """Guards the test itself: the defaults it compares are read from the issue's text, not left undefined."""
    types = _contract_types()
    assert types["Query"].fields["upcoming"].args["days"].default_value == 30
    assert types["CreateRecurringRuleInput"].fields["interval"].default_value == 1
    assert types["SetBudgetInput"].fields["rollover"].default_value is False
    assert types["Query"].fields["budgetReport"].args["currency"].default_value is Undefined
