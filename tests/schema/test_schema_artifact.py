from graphql import build_schema

from schema.export import SCHEMA_FILE, sdl


def test_committed_schema_matches_the_live_one() -> None:
    assert SCHEMA_FILE.read_text() == sdl(), "schema.graphql is stale: run `make schema` and commit it"


# The issue contracts (names and shapes are fixed; fields may be added): field -> (argument types, result type).
CONTRACT = {
    "Query": {
        "me": ({}, "User!"),
        "balance": ({}, "Balance!"),
        "transactions": ({"filters": "TransactionFilter", "first": "Int", "after": "String"}, "TransactionConnection!"),
        "transaction": ({"id": "ID!"}, "Transaction"),
        "monthlySummary": ({"from": "String!", "to": "String!"}, "[MonthSummary!]!"),
        "categoryBreakdown": ({"from": "String!", "to": "String!", "type": "TransactionType"}, "[CategoryTotal!]!"),
    },
    "Mutation": {
        "register": ({"username": "String!", "email": "String!", "password": "String!"}, "RegisterPayload!"),
        "login": ({"username": "String!", "password": "String!"}, "AuthPayload!"),
        "refreshToken": ({"refreshToken": "String!"}, "AuthPayload!"),
        "revokeToken": ({"refreshToken": "String!"}, "RevokePayload!"),
        "createTransaction": ({"input": "CreateTransactionInput!"}, "TransactionPayload!"),
        "updateTransaction": ({"id": "ID!", "input": "UpdateTransactionInput!"}, "TransactionPayload!"),
        "deleteTransaction": ({"id": "ID!"}, "DeletePayload!"),
    },
    "Transaction": {
        name: ({}, kind)
        for name, kind in {
            "id": "ID!",
            "amount": "Decimal!",
            "type": "TransactionType!",
            "description": "String!",
            "category": "String!",
            "date": "Date!",
            "createdAt": "DateTime!",
            "updatedAt": "DateTime!",
        }.items()
    },
    "Balance": {
        n: ({}, k)
        for n, k in {
            "total": "Decimal!",
            "income": "Decimal!",
            "expense": "Decimal!",
            "transactionCount": "Int!",
        }.items()
    },
    "FieldError": {n: ({}, k) for n, k in {"field": "String", "message": "String!", "code": "String!"}.items()},
    "AuthPayload": {
        n: ({}, k)
        for n, k in {"token": "String", "refreshToken": "String", "user": "User", "errors": "[FieldError!]!"}.items()
    },
    "TransactionConnection": {
        n: ({}, k) for n, k in {"edges": "[TransactionEdge!]!", "pageInfo": "PageInfo!", "totalCount": "Int!"}.items()
    },
    "MonthSummary": {
        n: ({}, k)
        for n, k in {
            "month": "String!",
            "income": "Decimal!",
            "expense": "Decimal!",
            "net": "Decimal!",
            "transactionCount": "Int!",
        }.items()
    },
    "CategoryTotal": {
        n: ({}, k)
        for n, k in {
            "category": "String!",
            "type": "TransactionType!",
            "total": "Decimal!",
            "transactionCount": "Int!",
        }.items()
    },
}
INPUT_CONTRACT = {
    "CreateTransactionInput": {
        "amount": "Decimal!",
        "type": "TransactionType!",
        "description": "String",
        "category": "String",
        "date": "Date",
        "idempotencyKey": "String",
    },
    "UpdateTransactionInput": {
        "amount": "Decimal",
        "type": "TransactionType",
        "description": "String",
        "category": "String",
        "date": "Date",
    },
    "TransactionFilter": {
        "type": "TransactionType",
        "category": "String",
        "dateFrom": "Date",
        "dateTo": "Date",
        "minAmount": "Decimal",
        "maxAmount": "Decimal",
        "search": "String",
    },
}


def test_contract_names_and_shapes_hold() -> None:
    built = build_schema(SCHEMA_FILE.read_text())
    for type_name, fields in CONTRACT.items():
        graphql_type = built.type_map[type_name]
        for field_name, (arguments, result) in fields.items():
            field = graphql_type.fields[field_name]
            assert str(field.type) == result, f"{type_name}.{field_name}"
            assert {name: str(arg.type) for name, arg in field.args.items()} == arguments, f"{type_name}.{field_name}"
    for type_name, fields in INPUT_CONTRACT.items():
        given = {name: str(field.type) for name, field in built.type_map[type_name].fields.items()}
        assert given == fields, type_name
    assert list(built.type_map["TransactionType"].values) == ["INCOME", "EXPENSE"]


def test_the_readme_lists_every_error_code_as_the_modules_define_them() -> None:
    from schema.export import README_FILE, readme_with_codes

    readme = README_FILE.read_text()
    assert readme == readme_with_codes(readme), "README.md's error codes are stale: run `make schema` and commit it"


def test_every_error_code_has_a_meaning() -> None:
    from accounts import error_codes as accounts
    from ledger import error_codes as ledger
    from schema import error_codes as api

    for module in (accounts, ledger, api):
        constants = {value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)}
        assert constants == set(module.MEANINGS), module.__name__
