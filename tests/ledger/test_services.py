"""ledger.services and ledger.imports called directly, on the real database: versions, volume, dirty marks,
scoping, validation, bounds and all-or-nothing imports."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from ledger import error_codes
from ledger.imports import transactions_import
from ledger.models import BalanceVersion, DirtyBucket, Transaction
from ledger.money import MAX_VOLUME_MINOR
from ledger.services import transaction_create, transaction_delete, transaction_update


def _create(user: User, amount: str = "1.00", **fields: object) -> Transaction:
    return transaction_create(user=user, amount=amount, type=fields.pop("type", "expense"), **fields)


def _state(user: User) -> tuple[int, int, dict[str, int], list[tuple]]:
    """Everything a write may change for the user: (version, volume, dirty generations, rows)."""
    row = BalanceVersion.objects.filter(user=user).values_list("version", "volume_minor").first() or (0, 0)
    dirty = dict(DirtyBucket.objects.filter(user=user).values_list("month", "generation"))
    rows = list(
        Transaction.objects.filter(user=user)
        .order_by("id")
        .values_list("id", "amount_minor", "type", "description", "category", "date")
    )
    return row[0], row[1], dirty, rows


def _sum_of_amounts(user: User) -> int:
    return sum(Transaction.objects.filter(user=user).values_list("amount_minor", flat=True))


def _errors(raised: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str]]:
    return sorted((field, error.code) for field, errors in raised.value.error_dict.items() for error in errors)


def _set_volume(user: User, volume: int) -> None:
    BalanceVersion.objects.update_or_create(user=user, defaults={"volume_minor": volume})


def test_a_retry_with_the_same_idempotency_key_returns_the_first_row_and_writes_nothing(alice: User) -> None:
    first = _create(alice, "9.99", idempotency_key="order-42", date="2026-03-01")
    before = _state(alice)
    again = _create(alice, "9.99", idempotency_key="order-42", date="2026-03-01")
    assert again.pk == first.pk
    assert _state(alice) == before  # no row, no version bump, no volume, no dirty generation


def test_a_retry_with_other_input_is_refused_and_changes_nothing(alice: User) -> None:
    first = _create(alice, "9.99", idempotency_key="order-42", category="Food")
    before = _state(alice)
    with pytest.raises(ValidationError) as raised:
        _create(alice, "50.00", type="income", idempotency_key=" order-42 ", category="Rent")
    assert _errors(raised) == [("idempotency_key", error_codes.IDEMPOTENCY_KEY_REUSED)]
    assert _state(alice) == before
    assert _create(alice, "9.99", idempotency_key="order-42", category="  Food ").pk == first.pk  # same, cleaned


def test_a_retry_without_a_date_the_next_day_is_the_same_request(alice: User) -> None:
    import time_machine

    with time_machine.travel(datetime.datetime(2026, 3, 1, 23, 59, tzinfo=datetime.UTC), tick=False) as clock:
        first = _create(alice, "5.00", idempotency_key="no-date")
        clock.shift(datetime.timedelta(minutes=2))
        assert _create(alice, "5.00", idempotency_key="no-date").pk == first.pk
        with pytest.raises(ValidationError) as raised:  # naming a date is other input than leaving it out
            _create(alice, "5.00", idempotency_key="no-date", date=first.date.isoformat())
        assert _errors(raised) == [("idempotency_key", error_codes.IDEMPOTENCY_KEY_REUSED)]


def test_a_key_stored_before_fingerprints_still_returns_its_row(alice: User) -> None:
    first = _create(alice, "1.00", idempotency_key="legacy")
    Transaction.objects.filter(pk=first.pk).update(idempotency_fingerprint=None)
    assert _create(alice, "2.00", idempotency_key="legacy").pk == first.pk


def test_another_user_may_reuse_an_idempotency_key(alice: User, bob: User) -> None:
    mine = _create(alice, "1.00", idempotency_key="same")
    theirs = _create(bob, "2.00", idempotency_key="same")
    assert mine.pk != theirs.pk
    assert (theirs.user_id, theirs.amount_minor) == (bob.pk, 200)
    assert _state(alice)[:2] == (1, 100)
    assert _state(bob)[:2] == (1, 200)


def test_every_write_bumps_the_version_once_and_keeps_the_volume_equal_to_the_sum(alice: User) -> None:
    def assert_bumped_once_to(expected_version: int) -> None:
        version, volume, _, _ = _state(alice)
        assert (version, volume) == (expected_version, _sum_of_amounts(alice))

    spent = _create(alice, "10.00")
    assert_bumped_once_to(1)
    _create(alice, "5.25", type="income")
    assert_bumped_once_to(2)
    transaction_update(user=alice, transaction_id=spent.pk, amount="12.00")
    assert_bumped_once_to(3)
    transaction_update(user=alice, transaction_id=spent.pk, description="only text")
    assert_bumped_once_to(4)
    transaction_delete(user=alice, transaction_id=spent.pk)
    assert_bumped_once_to(5)
    assert _state(alice)[1] == 525


def test_writes_mark_the_month_dirty_and_bump_its_generation(alice: User) -> None:
    txn = _create(alice, date="2025-12-31")
    _create(alice, date="2025-12-01")
    transaction_update(user=alice, transaction_id=txn.pk, amount="3.00")
    assert _state(alice)[2] == {"2025-12": 3}
    transaction_delete(user=alice, transaction_id=txn.pk)
    assert _state(alice)[2] == {"2025-12": 4}


def test_an_update_moving_a_transaction_across_months_marks_both_months(alice: User) -> None:
    txn = _create(alice, date="2026-01-31")
    transaction_update(user=alice, transaction_id=txn.pk, date="2026-03-01")
    assert _state(alice)[2] == {"2026-01": 2, "2026-03": 1}


@pytest.mark.parametrize("write", ["update", "delete"])
def test_other_users_transaction_is_not_found_and_nothing_changes(alice: User, bob: User, write: str) -> None:
    theirs = _create(bob, "7.00", date="2026-02-02")
    before = (_state(alice), _state(bob))
    with pytest.raises(ValidationError) as raised:
        if write == "update":
            transaction_update(user=alice, transaction_id=theirs.pk, amount="1.00", date="2026-05-05")
        else:
            transaction_delete(user=alice, transaction_id=theirs.pk)
    assert _errors(raised) == [("id", error_codes.NOT_FOUND)]
    assert (_state(alice), _state(bob)) == before


@pytest.mark.parametrize("transaction_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", None])
def test_a_malformed_or_unknown_id_is_not_found_like_another_users(alice: User, transaction_id: object) -> None:
    _create(alice)
    before = _state(alice)
    with pytest.raises(ValidationError) as raised:
        transaction_delete(user=alice, transaction_id=transaction_id)
    assert _errors(raised) == [("id", error_codes.NOT_FOUND)]
    assert _state(alice) == before


def test_every_bad_field_is_reported_at_once_and_nothing_is_written(alice: User) -> None:
    _create(alice, date="2026-01-01")
    before = _state(alice)
    with pytest.raises(ValidationError) as raised:
        transaction_create(
            user=alice,
            amount="abc",
            type="gift",
            description="d" * 256,
            category="  ",
            date="2026-02-30",
            idempotency_key="",
        )
    assert _errors(raised) == [
        ("amount", error_codes.INVALID_AMOUNT),
        ("category", error_codes.INVALID_CATEGORY),
        ("date", error_codes.INVALID_DATE),
        ("description", error_codes.INVALID_DESCRIPTION),
        ("idempotency_key", error_codes.INVALID_IDEMPOTENCY_KEY),
        ("type", error_codes.INVALID_TYPE),
    ]
    assert _state(alice) == before


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, 42])
def test_a_bad_idempotency_key_is_named_in_snake_case(alice: User, key: object) -> None:
    with pytest.raises(ValidationError) as raised:
        _create(alice, idempotency_key=key)
    assert _errors(raised) == [("idempotency_key", error_codes.INVALID_IDEMPOTENCY_KEY)]
    assert _state(alice) == (0, 0, {}, [])


def test_a_refused_update_changes_nothing(alice: User) -> None:
    txn = _create(alice, "4.00", date="2026-01-15", category="Food")
    before = _state(alice)
    with pytest.raises(ValidationError) as raised:
        transaction_update(user=alice, transaction_id=txn.pk, amount="0", category="", date="2026-04-01")
    assert _errors(raised) == [("amount", error_codes.INVALID_AMOUNT), ("category", error_codes.INVALID_CATEGORY)]
    assert _state(alice) == before


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31", datetime.date(1900, 1, 1)])
def test_the_edges_of_the_date_range_are_accepted(alice: User, day: object) -> None:
    txn = _create(alice, date=day)
    assert Transaction.objects.get(pk=txn.pk).date.isoformat() == str(day)


@pytest.mark.parametrize("day", ["1899-12-31", "3000-01-01", "9999-12-31", datetime.date(1, 1, 1)])
def test_dates_outside_the_range_are_refused_on_create_and_update(alice: User, day: object) -> None:
    txn = _create(alice, date="2026-01-01")
    before = _state(alice)
    for write in (
        lambda: _create(alice, date=day),
        lambda: transaction_update(user=alice, transaction_id=txn.pk, date=day),
    ):
        with pytest.raises(ValidationError) as raised:
            write()
        assert _errors(raised) == [("date", error_codes.INVALID_DATE)]
        assert "1900-01-01 to 2999-12-31" in raised.value.error_dict["date"][0].message
    assert _state(alice) == before


def test_a_create_past_the_volume_bound_is_refused_and_exactly_up_to_it_is_accepted(alice: User) -> None:
    _set_volume(alice, MAX_VOLUME_MINOR - 100)
    before = _state(alice)
    with pytest.raises(ValidationError) as raised:
        _create(alice, "1.01")
    assert _errors(raised) == [("amount", error_codes.VOLUME_LIMIT_EXCEEDED)]
    assert _state(alice) == before
    _create(alice, "1.00")
    assert _state(alice)[:2] == (before[0] + 1, MAX_VOLUME_MINOR)


def test_an_update_past_the_volume_bound_is_refused_and_lowering_is_always_allowed(alice: User) -> None:
    txn = _create(alice, "1.00")
    _set_volume(alice, MAX_VOLUME_MINOR)
    before = _state(alice)
    with pytest.raises(ValidationError) as raised:
        transaction_update(user=alice, transaction_id=txn.pk, amount="1.01")
    assert _errors(raised) == [("amount", error_codes.VOLUME_LIMIT_EXCEEDED)]
    assert _state(alice) == before
    transaction_update(user=alice, transaction_id=txn.pk, amount="0.50")
    transaction_delete(user=alice, transaction_id=txn.pk)
    assert _state(alice)[1] == MAX_VOLUME_MINOR - 100


CSV = "date,description,amount,category\n2026-01-31,Pay,3000.00,Salary\n2026-02-01,Rent,-1200.00,Rent\n"


def test_an_import_stores_every_row_adds_its_volume_and_marks_each_month(alice: User) -> None:
    _create(alice, "1.00", date="2026-02-10")
    result = transactions_import(user=alice, lines=CSV.splitlines(keepends=True))
    assert (result.imported, result.skipped, result.errors) == (2, 0, [])
    version, volume, dirty, rows = _state(alice)
    assert (version, volume, dirty) == (2, 100 + 300000 + 120000, {"2026-01": 1, "2026-02": 2})
    assert sorted((amount, kind, category) for _, amount, kind, _, category, _ in rows) == [
        (100, "expense", "Other"),
        (120000, "expense", "Rent"),
        (300000, "income", "Salary"),
    ]


def test_a_reimport_skips_every_row_and_adds_no_volume(alice: User) -> None:
    transactions_import(user=alice, lines=CSV.splitlines(keepends=True))
    _, volume, dirty, rows = _state(alice)
    again = transactions_import(user=alice, lines=CSV.splitlines(keepends=True))
    assert (again.imported, again.skipped, again.errors) == (0, 2, [])
    assert _state(alice)[1:] == (volume, dirty, rows)


def test_an_overlapping_file_imports_only_its_new_rows_and_repeated_rows_stay_distinct(alice: User) -> None:
    transactions_import(user=alice, lines=CSV.splitlines(keepends=True))
    coffee = "2026-02-03,Coffee,-3.50,Food\n"
    result = transactions_import(user=alice, lines=(CSV + coffee + coffee).splitlines(keepends=True))
    assert (result.imported, result.skipped) == (2, 2)
    assert Transaction.objects.filter(user=alice, description="Coffee").count() == 2
    assert _state(alice)[1] == _sum_of_amounts(alice) == 300000 + 120000 + 700


def test_an_import_with_a_bad_row_writes_nothing_and_reports_every_bad_row(alice: User) -> None:
    _create(alice, date="2026-01-05")
    before = _state(alice)
    lines = (CSV + "2026-02-30,Bad date,-1.00,X\n2026-02-04,Bad amount,abc,X\n").splitlines(keepends=True)
    result = transactions_import(user=alice, lines=lines)
    assert (result.imported, result.skipped) == (0, 0)
    assert [(error.row, error.code) for error in result.errors] == [
        (4, error_codes.INVALID_DATE),
        (5, error_codes.INVALID_AMOUNT),
    ]
    assert _state(alice) == before


def test_an_import_past_the_volume_bound_is_refused_whole(alice: User) -> None:
    _set_volume(alice, MAX_VOLUME_MINOR - 420000 + 1)
    before = _state(alice)
    result = transactions_import(user=alice, lines=CSV.splitlines(keepends=True))
    assert (result.imported, [error.code for error in result.errors]) == (0, [error_codes.VOLUME_LIMIT_EXCEEDED])
    assert _state(alice) == before


def test_a_retry_of_the_write_that_filled_the_volume_returns_it(alice: User) -> None:
    _set_volume(alice, MAX_VOLUME_MINOR - 100)
    first = _create(alice, "1.00", idempotency_key="k")
    assert BalanceVersion.objects.get(user=alice).volume_minor == MAX_VOLUME_MINOR
    before = _state(alice)
    assert _create(alice, "1.00", idempotency_key="k").pk == first.pk
    assert _state(alice) == before
    with pytest.raises(ValidationError) as raised:
        _create(alice, "1.00", idempotency_key="another")
    assert _errors(raised) == [("amount", error_codes.VOLUME_LIMIT_EXCEEDED)]


def test_an_unknown_type_filter_is_a_validation_error(alice: User) -> None:
    from ledger.selectors import TransactionFilters, transaction_filter

    with pytest.raises(ValidationError) as raised:
        transaction_filter(user=alice, filters=TransactionFilters(type="gift", date_from="soon"))
    assert _errors(raised) == [("date_from", error_codes.INVALID_DATE), ("type", error_codes.INVALID_TYPE)]
