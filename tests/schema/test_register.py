import json

import pytest

from accounts.models import User
from tests.conftest import GraphQLClient, make_user

REGISTER = """
mutation Register($username: String!, $email: String!, $password: String!) {
  register(username: $username, email: $email, password: $password) {
    user { id username email }
    errors { field message code }
  }
}
"""


@pytest.mark.django_db
def test_register_creates_a_user(anonymous: GraphQLClient) -> None:
    payload = anonymous.data(
        REGISTER, {"username": "carol", "email": "Carol@Example.COM", "password": "s3cret-enough!"}
    )["register"]
    assert payload["errors"] == []
    assert payload["user"]["username"] == "carol"
    assert payload["user"]["email"] == "Carol@example.com"  # the domain part is normalized
    user = User.objects.get(username="carol")
    assert str(user.pk) == payload["user"]["id"]
    assert user.check_password("s3cret-enough!")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "email", "field", "code"),
    [
        ("ALICE", "new@example.com", "username", "DUPLICATE_USERNAME"),
        ("someone", "ALICE@EXAMPLE.COM", "email", "DUPLICATE_EMAIL"),
    ],
)
def test_usernames_and_emails_are_unique_without_regard_to_case(
    anonymous: GraphQLClient, username: str, email: str, field: str, code: str
) -> None:
    make_user("alice")
    payload = anonymous.data(REGISTER, {"username": username, "email": email, "password": "s3cret-enough!"})["register"]
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        ({"username": "dave", "email": "not-an-email", "password": "s3cret-enough!"}, "email", "INVALID_EMAIL"),
        ({"username": "dave", "email": "dave@example.com", "password": "short"}, "password", "INVALID_PASSWORD"),
        ({"username": "dave", "email": "dave@example.com", "password": "password"}, "password", "INVALID_PASSWORD"),
        ({"username": "dave", "email": "dave@example.com", "password": "12345678901"}, "password", "INVALID_PASSWORD"),
        (
            {"username": "da ve!", "email": "dave@example.com", "password": "s3cret-enough!"},
            "username",
            "INVALID_USERNAME",
        ),
        ({"username": "", "email": "dave@example.com", "password": "s3cret-enough!"}, "username", "INVALID_USERNAME"),
        (
            {"username": "dave", "email": "dave@example.com", "password": "a\x00bcdefghijk"},
            "password",
            "INVALID_PASSWORD",
        ),
        ({"username": "dave", "email": "dave@exa\x00mple.com", "password": "s3cret-enough!"}, "email", "INVALID_EMAIL"),
    ],
)
def test_invalid_registrations_are_refused_and_create_nothing(
    anonymous: GraphQLClient, variables: dict, field: str, code: str
) -> None:
    payload = anonymous.data(REGISTER, variables)["register"]
    assert payload["user"] is None
    assert payload["errors"], payload
    assert {(e["field"], e["code"]) for e in payload["errors"]} == {(field, code)}
    assert all(e["message"] for e in payload["errors"])
    assert User.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_a_lone_surrogate_is_a_payload_error_not_a_crash(anonymous: GraphQLClient, field: str) -> None:
    variables = {"username": "eve", "email": "eve@example.com", "password": "s3cret-enough!"}
    variables[field] = "PLACEHOLDER"
    # json.dumps cannot write a lone surrogate on purpose, so splice the raw escape into the body.
    body = json.dumps({"query": REGISTER, "variables": variables}).replace("PLACEHOLDER", "ab\\ud800cdefghijk")
    response = anonymous.http.post("/graphql/", data=body, content_type="application/json")
    assert response.status_code == 200
    errors = response.json()["data"]["register"]["errors"]
    assert [e["field"] for e in errors] == [field]
    assert User.objects.count() == 0
