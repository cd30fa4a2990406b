from graphql import build_schema

from schema.export import SCHEMA_FILE, sdl


def test_committed_schema_matches_the_live_one() -> None:
    assert SCHEMA_FILE.read_text() == sdl(), "schema.graphql is stale: run `make schema` and commit it"


# The issue contracts (names and shapes are fixed; fields may be added): field -> (argument types, result type).
CONTRACT = {
    "Query": {
        "me": ({}, "User!"),
        "balance": ({"currency": "String"}, "Balance!"),
        "transactions": ({"filters": "TransactionFilter", "first": "Int", "after": "String"}, "TransactionConnection!"),
        "transaction": ({"id": "ID!"}, "Transaction"),
        "monthlySummary": (
            {"from": "String!", "to": "String!", "currency": "String", "accountId": "ID"},
            "[MonthSummary!]!",
        ),
        "categoryBreakdown": (
            {"from": "String!", "to": "String!", "type": "TransactionType", "currency": "String", "accountId": "ID"},
            "[CategoryTotal!]!",
        ),
        # issue 12
        "accounts": ({"includeArchived": "Boolean"}, "[Account!]!"),
        "account": ({"id": "ID!"}, "Account"),
        "transfer": ({"id": "ID!"}, "Transfer"),
        "netWorth": ({}, "[CurrencyTotal!]!"),
    },
    "Mutation": {
        "register": ({"username": "String!", "email": "String!", "password": "String!"}, "RegisterPayload!"),
        "login": ({"username": "String!", "password": "String!"}, "AuthPayload!"),
        "refreshToken": ({"refreshToken": "String!"}, "AuthPayload!"),
        "revokeToken": ({"refreshToken": "String!"}, "RevokePayload!"),
        "createTransaction": ({"input": "CreateTransactionInput!"}, "TransactionPayload!"),
        "updateTransaction": ({"id": "ID!", "input": "UpdateTransactionInput!"}, "TransactionPayload!"),
        "deleteTransaction": ({"id": "ID!"}, "DeletePayload!"),
        # issue 12
        "createAccount": ({"input": "CreateAccountInput!"}, "AccountPayload!"),
        "updateAccount": ({"id": "ID!", "input": "UpdateAccountInput!"}, "AccountPayload!"),
        "deleteAccount": ({"id": "ID!"}, "DeletePayload!"),
        "setDefaultAccount": ({"id": "ID!"}, "AccountPayload!"),
        "createTransfer": ({"input": "CreateTransferInput!"}, "TransferPayload!"),
        "updateTransfer": ({"id": "ID!", "input": "UpdateTransferInput!"}, "TransferPayload!"),
        "deleteTransfer": ({"id": "ID!"}, "DeletePayload!"),
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
            "account": "Account!",
            "currency": "String!",
        }.items()
    },
    "User": {n: ({}, k) for n, k in {"defaultAccount": "Account!"}.items()},
    "Account": {
        **{
            n: ({}, k)
            for n, k in {
                "id": "ID!",
                "name": "String!",
                "kind": "AccountKind!",
                "currency": "String!",
                "openingBalance": "Decimal!",
                "balance": "Decimal!",
                "archived": "Boolean!",
                "createdAt": "DateTime!",
            }.items()
        },
        "entries": ({"first": "Int", "after": "String"}, "AccountEntryConnection!"),
    },
    "AccountEntry": {
        n: ({}, k)
        for n, k in {
            "id": "ID!",
            "date": "Date!",
            "kind": "EntryKind!",
            "amount": "Decimal!",
            "description": "String!",
            "category": "String",
            "transaction": "Transaction",
            "transfer": "Transfer",
            "runningBalance": "Decimal!",
        }.items()
    },
    "AccountEntryConnection": {
        n: ({}, k) for n, k in {"edges": "[AccountEntryEdge!]!", "pageInfo": "PageInfo!", "totalCount": "Int!"}.items()
    },
    "AccountEntryEdge": {n: ({}, k) for n, k in {"cursor": "String!", "node": "AccountEntry!"}.items()},
    "Transfer": {
        n: ({}, k)
        for n, k in {
            "id": "ID!",
            "fromAccount": "Account!",
            "toAccount": "Account!",
            "amount": "Decimal!",
            "toAmount": "Decimal!",
            "date": "Date!",
            "description": "String!",
            "createdAt": "DateTime!",
            "updatedAt": "DateTime!",
        }.items()
    },
    "CurrencyTotal": {n: ({}, k) for n, k in {"currency": "String!", "total": "Decimal!"}.items()},
    "AccountPayload": {n: ({}, k) for n, k in {"account": "Account", "errors": "[FieldError!]!"}.items()},
    "TransferPayload": {n: ({}, k) for n, k in {"transfer": "Transfer", "errors": "[FieldError!]!"}.items()},
    "Balance": {
        n: ({}, k)
        for n, k in {
            "total": "Decimal!",
            "income": "Decimal!",
            "expense": "Decimal!",
            "transactionCount": "Int!",
            "currency": "String!",
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
        "accountId": "ID",
    },
    "UpdateTransactionInput": {
        "amount": "Decimal",
        "type": "TransactionType",
        "description": "String",
        "category": "String",
        "date": "Date",
        "accountId": "ID",
    },
    "CreateAccountInput": {
        "name": "String!",
        "kind": "AccountKind!",
        "currency": "String",
        "openingBalance": "Decimal",
        "idempotencyKey": "String",
    },
    "UpdateAccountInput": {"name": "String", "kind": "AccountKind", "openingBalance": "Decimal", "archived": "Boolean"},
    "CreateTransferInput": {
        "fromAccountId": "ID!",
        "toAccountId": "ID!",
        "amount": "Decimal!",
        "toAmount": "Decimal",
        "date": "Date",
        "description": "String",
        "idempotencyKey": "String",
    },
    "UpdateTransferInput": {"amount": "Decimal", "toAmount": "Decimal", "date": "Date", "description": "String"},
    "TransactionFilter": {
        "accountId": "ID",
        "currency": "String",
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
    """Every contract field, argument and input field exists with its type; anything added is optional, so no
    client written against the contract breaks."""
    built = build_schema(SCHEMA_FILE.read_text())
    for type_name, fields in CONTRACT.items():
        graphql_type = built.type_map[type_name]
        for field_name, (arguments, result) in fields.items():
            field = graphql_type.fields[field_name]
            assert str(field.type) == result, f"{type_name}.{field_name}"
            given = {name: str(arg.type) for name, arg in field.args.items()}
            assert {name: given.get(name) for name in arguments} == arguments, f"{type_name}.{field_name}"
            added = {name: kind for name, kind in given.items() if name not in arguments}
            assert not [name for name, kind in added.items() if kind.endswith("!")], f"{type_name}.{field_name}"
    for type_name, fields in INPUT_CONTRACT.items():
        given = {name: str(field.type) for name, field in built.type_map[type_name].fields.items()}
        assert {name: given.get(name) for name in fields} == fields, type_name
        assert not [n for n, kind in given.items() if n not in fields and kind.endswith("!")], type_name
    assert list(built.type_map["TransactionType"].values) == ["INCOME", "EXPENSE"]
    assert list(built.type_map["AccountKind"].values) == [
        "CHECKING",
        "SAVINGS",
        "CREDIT_CARD",
        "CASH",
        "INVESTMENT",
        "LOAN",
        "OTHER",
    ]
    assert list(built.type_map["EntryKind"].values) == ["INCOME", "EXPENSE", "TRANSFER_IN", "TRANSFER_OUT"]
    register = built.type_map["Mutation"].fields["register"]
    assert str(register.args["currency"].type) == "String"
    importing = built.type_map["Mutation"].fields["importTransactions"]
    assert str(importing.args["accountId"].type) == "ID"


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
