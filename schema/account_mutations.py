"""Mutations of ledger accounts and transfers: parse the input, call one service, map the result."""

from typing import Annotated

import strawberry

from ledger import services
from schema.account_types import AccountPayload, TransferPayload
from schema.context import current_user
from schema.errors import mutation
from schema.inputs import (
    CreateAccountInput,
    CreateTransferInput,
    UpdateAccountInput,
    UpdateTransferInput,
    given_fields,
)
from schema.types import DeletePayload


def arg(description: str) -> object:
    return strawberry.argument(description=description)


_ACCOUNT_ID = Annotated[strawberry.ID, arg("One of the caller's ledger accounts.")]
_TRANSFER_ID = Annotated[strawberry.ID, arg("One of the caller's transfers.")]


@strawberry.type
class AccountMutation:
    @mutation(description="Open a ledger account.")
    def create_account(
        self, info: strawberry.Info, input: Annotated[CreateAccountInput, arg("The new account.")]
    ) -> AccountPayload:
        account = services.account_create(
            user=current_user(info),
            name=input.name,
            kind=input.kind.value,
            currency=input.currency,
            opening_balance=input.opening_balance,
            idempotency_key=input.idempotency_key,
        )
        return AccountPayload(account=account)

    @mutation(description="Rename, re-kind, change the opening balance of, archive or unarchive an account.")
    def update_account(
        self,
        info: strawberry.Info,
        id: _ACCOUNT_ID,
        input: Annotated[UpdateAccountInput, arg("Only the fields to change.")],
    ) -> AccountPayload:
        given = given_fields(input, ("name", "kind", "opening_balance", "archived", "currency"))
        account = services.account_update(user=current_user(info), account_id=id, **given)
        return AccountPayload(account=account)

    @mutation(
        description="Delete an account without entries (ACCOUNT_NOT_EMPTY otherwise: archive it instead); never "
        "the default account (DEFAULT_ACCOUNT)."
    )
    def delete_account(self, info: strawberry.Info, id: _ACCOUNT_ID) -> DeletePayload:
        return DeletePayload(deleted_id=services.account_delete(user=current_user(info), account_id=id))

    @mutation(description="Make an account (not archived) the caller's default account.")
    def set_default_account(self, info: strawberry.Info, id: _ACCOUNT_ID) -> AccountPayload:
        return AccountPayload(account=services.account_set_default(user=current_user(info), account_id=id))

    @mutation(
        description="Move money between two of the caller's accounts: both legs or nothing. Never income or "
        "expense, so balance and analytics ignore it; account balances and net worth move."
    )
    def create_transfer(
        self, info: strawberry.Info, input: Annotated[CreateTransferInput, arg("The new transfer.")]
    ) -> TransferPayload:
        transfer = services.transfer_create(
            user=current_user(info),
            from_account_id=input.from_account_id,
            to_account_id=input.to_account_id,
            amount=input.amount,
            to_amount=input.to_amount,
            date=input.date,
            description=input.description,
            idempotency_key=input.idempotency_key,
        )
        return TransferPayload(transfer=transfer)

    @mutation(description="Change the amounts, date or description of one of the caller's transfers.")
    def update_transfer(
        self,
        info: strawberry.Info,
        id: _TRANSFER_ID,
        input: Annotated[UpdateTransferInput, arg("Only the fields to change.")],
    ) -> TransferPayload:
        given = given_fields(input, ("amount", "to_amount", "date", "description"))
        transfer = services.transfer_update(user=current_user(info), transfer_id=id, **given)
        return TransferPayload(transfer=transfer)

    @mutation(description="Delete one of the caller's transfers (both legs).")
    def delete_transfer(self, info: strawberry.Info, id: _TRANSFER_ID) -> DeletePayload:
        return DeletePayload(deleted_id=services.transfer_delete(user=current_user(info), transfer_id=id))
