from schema.export import SCHEMA_FILE, sdl


def test_committed_schema_matches_the_live_one() -> None:
    assert SCHEMA_FILE.read_text() == sdl(), "schema.graphql is stale: run `make schema` and commit it"


def test_contract_names_are_present() -> None:
    text = sdl()
    for fragment in (
        "scalar Decimal",
        "scalar Date",
        "transactions(filters: TransactionFilter = null, first: Int = null, after: String = null): TransactionConnection!",
        "transaction(id: ID!): Transaction\n",
        "refreshToken(refreshToken: String!): AuthPayload!",
        "updateTransaction(id: ID!, input: UpdateTransactionInput!): TransactionPayload!",
        "monthlySummary(",
    ):
        assert fragment in text
