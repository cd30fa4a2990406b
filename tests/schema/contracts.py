"""An issue's GraphQL contract against the committed schema: every type, field, argument and input field with its
exact type and default. Fields and arguments may be added, never renamed or reshaped (an added argument or input
field must be optional)."""

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    build_schema,
)

from schema.export import SCHEMA_FILE


def contract_types(contract: GraphQLSchema, stub_names: set[str]) -> dict:
    """The contract's own types (and the roots it extends), without the stubs that only make it parse."""
    return {
        name: kind
        for name, kind in contract.type_map.items()
        if not name.startswith("__") and (name in {"Query", "Mutation"} or name not in stub_names)
    }


def served_as_written(contract: GraphQLSchema, stub_names: set[str]) -> int:
    """Assert schema.graphql serves every type of `contract` as written; returns how many fields were checked."""
    served = build_schema(SCHEMA_FILE.read_text())
    checked = 0
    for name, wanted in contract_types(contract, stub_names).items():
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
    return checked


def _same_default(served: object, wanted: object, where: str) -> None:
    """A default the contract writes must be served as written; where it writes none, an optional value may show
    `= null` (Strawberry's rendering of an omitted optional argument), which means the same."""
    if wanted.default_value is Undefined:
        assert served.default_value in (Undefined, None), where
    else:
        assert served.default_value == wanted.default_value, where
