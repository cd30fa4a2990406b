"""Account writes: registration and credential checks."""

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts import error_codes
from accounts.models import User

MAX_PASSWORD_LENGTH = 4096  # hashing cost grows with length; nobody types more


def user_register(*, username: object, email: object, password: object) -> User:
    """Create an active user. Usernames and emails are unique without regard to case."""
    errors: dict[str, list[ValidationError]] = {}
    username = _clean_username(username, errors)
    email = _clean_email(email, errors)
    if isinstance(password, str) and _storable(password) and 0 < len(password) <= MAX_PASSWORD_LENGTH:
        try:
            password_validation.validate_password(password, User(username=username or "", email=email or ""))
        except ValidationError as error:
            errors.setdefault("password", []).extend(
                ValidationError(message, code=error_codes.INVALID_PASSWORD) for message in error.messages
            )
    else:
        errors.setdefault("password", []).append(
            ValidationError("Enter a password of up to 4096 characters.", code=error_codes.INVALID_PASSWORD)
        )
    if not errors:
        if User.objects.filter(username__iexact=username).exists():
            errors["username"] = [_taken("username", error_codes.DUPLICATE_USERNAME)]
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = [_taken("email", error_codes.DUPLICATE_EMAIL)]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        # A concurrent registration took the name between the check and the insert: the unique constraints on
        # lower(username) and lower(email) are the last word.
        taken_username = User.objects.filter(username__iexact=username).exists()
        field, code = (
            ("username", error_codes.DUPLICATE_USERNAME)
            if taken_username
            else (
                "email",
                error_codes.DUPLICATE_EMAIL,
            )
        )
        raise ValidationError({field: [_taken(field, code)]}) from None


def user_login(*, username: object, password: object) -> User:
    """The active user with these credentials; one answer for an unknown user and a wrong password."""
    user = None
    if (
        isinstance(username, str)
        and isinstance(password, str)
        and _storable(username)
        and _storable(password)
        and len(username) <= 150
        and len(password) <= MAX_PASSWORD_LENGTH
    ):
        user = authenticate(username=username, password=password)
    if user is None:
        raise ValidationError(
            {
                None: ValidationError(
                    "Unable to log in with the provided credentials.", code=error_codes.INVALID_CREDENTIALS
                )
            }
        )
    return user


def _clean_username(raw: object, errors: dict) -> str | None:
    field = User._meta.get_field("username")
    if not isinstance(raw, str) or not _storable(raw):
        errors["username"] = [ValidationError("Enter a valid username.", code=error_codes.INVALID_USERNAME)]
        return None
    username = raw.strip()
    try:
        field.run_validators(username)
        if not username:
            raise ValidationError("This field cannot be blank.")
    except ValidationError as error:
        errors["username"] = [ValidationError(message, code=error_codes.INVALID_USERNAME) for message in error.messages]
        return None
    return username


def _clean_email(raw: object, errors: dict) -> str | None:
    if not isinstance(raw, str) or not _storable(raw):
        errors["email"] = [ValidationError("Enter a valid email address.", code=error_codes.INVALID_EMAIL)]
        return None
    email = User.objects.normalize_email(raw.strip())
    try:
        validate_email(email)
        if len(email) > User._meta.get_field("email").max_length:
            raise ValidationError("Enter a valid email address.")
    except ValidationError:
        errors["email"] = [ValidationError("Enter a valid email address.", code=error_codes.INVALID_EMAIL)]
        return None
    return email


def _taken(field: str, code: str) -> ValidationError:
    return ValidationError(f"A user with this {field} already exists.", code=code)


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
