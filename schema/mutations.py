"""Mutations: parse the input, call one service, map the result (schema.errors.mutation maps its ValidationError)."""

from typing import Annotated

import strawberry

from accounts import rate_limits, tokens
from accounts import services as account_services
from ledger import services as ledger_services
from schema.context import current_user
from schema.errors import mutation
from schema.inputs import CreateTransactionInput, UpdateTransactionInput, given_fields
from schema.types import (
    AuthPayload,
    DeletePayload,
    RegisterPayload,
    RequestPasswordResetPayload,
    RevokePayload,
    TransactionPayload,
)


def arg(description: str) -> object:
    return strawberry.argument(description=description)


@strawberry.type
class Mutation:
    @mutation(
        description="Create an account. Log in afterwards to get tokens. Throttled per address "
        "(REGISTRATIONS_PER_ADDRESS an hour): over the limit answers a RATE_LIMITED error with retryAfter."
    )
    def register(
        self,
        info: strawberry.Info,
        username: Annotated[str, arg("Letters, digits and @.+-_, up to 150; unique without regard to case.")],
        email: Annotated[str, arg("A valid address; unique without regard to case.")],
        password: Annotated[str, arg("Checked by Django's password validators.")],
        currency: Annotated[
            str | None, arg('ISO 4217 code of the default account "Main" it creates; DEFAULT_CURRENCY when omitted.')
        ] = None,
    ) -> RegisterPayload:
        address = rate_limits.client_address(info.context.request)
        user = ledger_services.user_register(
            username=username, email=email, password=password, address=address, currency=currency
        )
        return RegisterPayload(user=user)

    @mutation(
        description="Trade credentials for an access token (short-lived) and a refresh token. Throttled per "
        "address and per username from an address: over the limit answers a RATE_LIMITED error with retryAfter."
    )
    def login(
        self,
        info: strawberry.Info,
        username: Annotated[str, arg("Any case.")],
        password: Annotated[str, arg("The account's password.")],
    ) -> AuthPayload:
        address = rate_limits.client_address(info.context.request)
        user = account_services.user_login(username=username, password=password, address=address)
        return _auth_payload(tokens.issue_token_pair(user))

    @mutation(
        description="Change the caller's password. Every other session ends; the payload carries a new token pair. "
        "After PASSWORD_CHANGE_FAILURES_PER_USER wrong current passwords in a login window it answers a RATE_LIMITED "
        "error with retryAfter."
    )
    def change_password(
        self,
        info: strawberry.Info,
        old_password: Annotated[str, arg("The current password.")],
        new_password: Annotated[str, arg("Checked by Django's password validators.")],
    ) -> AuthPayload:
        user = current_user(info)
        pair = account_services.user_change_password(user=user, old_password=old_password, new_password=new_password)
        return _auth_payload(pair)

    @mutation(
        description="Email a one-time password reset link. Answers the same whether or not the email is registered."
    )
    def request_password_reset(
        self, info: strawberry.Info, email: Annotated[str, arg("The account's email address.")]
    ) -> RequestPasswordResetPayload:
        address = rate_limits.client_address(info.context.request)
        account_services.password_reset_request(email=email, address=address)
        return RequestPasswordResetPayload(accepted=True)

    @mutation(description="Set a new password with the token from the reset email; every session ends.")
    def reset_password(
        self,
        token: Annotated[str, arg("The token from the reset email.")],
        new_password: Annotated[str, arg("Checked by Django's password validators.")],
    ) -> AuthPayload:
        pair = account_services.password_reset_confirm(token=token, new_password=new_password)
        return _auth_payload(pair)

    @mutation(description="Trade a refresh token for a new pair; the given one stops working.")
    def refresh_token(self, refresh_token: Annotated[str, arg("From login or the last refresh.")]) -> AuthPayload:
        pair = tokens.rotate_refresh_token(refresh_token)
        return _auth_payload(pair)

    @mutation(description="Log out everywhere: revoke every refresh token and access token of its user.")
    def revoke_token(self, refresh_token: Annotated[str, arg("Any live refresh token of the user.")]) -> RevokePayload:
        tokens.revoke_refresh_token(refresh_token)
        return RevokePayload(revoked=True)

    @mutation(description="Record an income or expense.")
    def create_transaction(
        self, info: strawberry.Info, input: Annotated[CreateTransactionInput, arg("The new transaction.")]
    ) -> TransactionPayload:
        given = {
            "amount": input.amount,
            "type": input.type.value,
            "description": input.description,
            "category": input.category,
            "date": input.date,
            "idempotency_key": input.idempotency_key,
            "account_id": input.account_id,
        }
        claims = info.context.verified_claims()
        if claims is not None:
            txn = ledger_services.transaction_create_for_token(
                user_id=claims.user_id, token_version=claims.token_version, **given
            )
            if txn is not None:
                return TransactionPayload(transaction=txn)
        principal, account_seen = info.context.principal_writing_to(input.account_id)
        txn = ledger_services.transaction_create(user=principal.user, account_seen=account_seen, **given)
        return TransactionPayload(transaction=txn)

    @mutation(description="Change some fields of one of the caller's transactions.")
    def update_transaction(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, arg("One of the caller's transactions.")],
        input: Annotated[UpdateTransactionInput, arg("Only the fields to change.")],
    ) -> TransactionPayload:
        user = current_user(info)
        given = given_fields(input, ("amount", "type", "description", "category", "date", "account_id"))
        txn = ledger_services.transaction_update(user=user, transaction_id=id, **given)
        return TransactionPayload(transaction=txn)

    @mutation(description="Delete one of the caller's transactions.")
    def delete_transaction(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, arg("One of the caller's transactions.")]
    ) -> DeletePayload:
        user = current_user(info)
        deleted_id = ledger_services.transaction_delete(user=user, transaction_id=id)
        return DeletePayload(deleted_id=deleted_id)


def _auth_payload(pair: tokens.TokenPair) -> AuthPayload:
    return AuthPayload(token=pair.token, refresh_token=pair.refresh_token, user=pair.user)
