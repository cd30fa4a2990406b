"""Account writes: registration, credential checks, password change and reset."""

import logging
import re

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts import error_codes, rate_limits
from accounts.models import User
from accounts.tokens import TokenPair, issue_token_pair, revoke_all_sessions
from storage.text import is_storable

logger = logging.getLogger(__name__)

MAX_PASSWORD_LENGTH = 4096  # hashing cost grows with length; nobody types more
# The shape of default_token_generator's tokens: base-36 timestamp, a dash, a hex digest.
_RESET_SECRET = re.compile(r"[0-9a-z]{1,13}-[0-9a-f]{1,64}")


def user_register(*, username: object, email: object, password: object, address: str = "unknown") -> User:
    """Create an active user. Usernames and emails are unique without regard to case.

    Raises rate_limits.RateLimited when this address registered too often; counted before the password is hashed.
    """
    rate_limits.registration_attempt(address=address)
    errors: dict[str, list[ValidationError]] = {}
    username = _clean_username(username, errors)
    email = _clean_email(email, errors)
    try:
        _validate_new_password(password, User(username=username or "", email=email or ""), field="password")
    except ValidationError as error:
        errors.update(error.error_dict)
    # Taken names are reported with every other problem, so a client does not fix the password only to learn then.
    if "username" not in errors and User.objects.with_username(username).exists():
        errors["username"] = [_taken("username", error_codes.DUPLICATE_USERNAME)]
    if "email" not in errors and User.objects.with_email(email).exists():
        errors["email"] = [_taken("email", error_codes.DUPLICATE_EMAIL)]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        # A concurrent registration took the name between the check and the insert: the unique constraints on
        # lower(username) and lower(email) are the last word.
        taken_username = User.objects.with_username(username).exists()
        field, code = (
            ("username", error_codes.DUPLICATE_USERNAME)
            if taken_username
            else (
                "email",
                error_codes.DUPLICATE_EMAIL,
            )
        )
        raise ValidationError({field: [_taken(field, code)]}) from None


def user_login(*, username: object, password: object, address: str = "unknown") -> User:
    """The active user with these credentials; one answer for an unknown user and a wrong password.

    Raises rate_limits.RateLimited when this address, or this username from this address, tried too often.
    """
    throttle_name = username if isinstance(username, str) else ""
    rate_limits.login_attempt(username=throttle_name, address=address)
    user = None
    if (
        isinstance(username, str)
        and isinstance(password, str)
        and is_storable(username)
        and is_storable(password)
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
    rate_limits.login_succeeded(username=throttle_name, address=address)
    return user


def user_change_password(*, user: User, old_password: object, new_password: object) -> TokenPair:
    """Change the password, end every other session, and return a fresh token pair for this one.

    Raises rate_limits.RateLimited after PASSWORD_CHANGE_FAILURES_PER_USER wrong current passwords in a login
    window; counted before the password is hashed.
    """
    rate_limits.password_change_attempt(user_id=user.pk)
    if not isinstance(old_password, str) or not is_storable(old_password) or not user.check_password(old_password):
        raise ValidationError(
            {"old_password": ValidationError("The current password is wrong.", code=error_codes.WRONG_PASSWORD)}
        )
    rate_limits.password_change_succeeded(user_id=user.pk)
    _validate_new_password(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoke_all_sessions(user)
        return issue_token_pair(user)


def password_reset_request(*, email: object, address: str = "unknown") -> None:
    """Email a one-time reset link if an active account has this email. The caller's answer never tells which."""
    rate_limits.password_reset_attempt(address=address)
    if not isinstance(email, str) or not is_storable(email):
        return
    user = User.objects.with_email(email.strip()).filter(is_active=True).first()
    if user is None:
        return
    token = f"{urlsafe_base64_encode(force_bytes(user.pk))}.{default_token_generator.make_token(user)}"
    link = settings.PASSWORD_RESET_URL.format(token=token)
    try:
        send_mail(
            "Reset your password",
            f"Someone asked to reset the password of {user.username}. If it was you, open:\n\n{link}\n\n"
            f"The link works once and expires in {settings.PASSWORD_RESET_TIMEOUT // 60} minutes.",
            None,
            [user.email],
        )
    except OSError:
        # A mail outage must not reveal that the account exists by answering differently.
        logger.exception("password reset email could not be sent")


def password_reset_confirm(*, token: object, new_password: object) -> TokenPair:
    """Set a new password with a token from the reset email (expires; works once), ending every session."""
    user = _user_for_reset_token(token)
    if user is None:
        raise ValidationError(
            {"token": ValidationError("This reset link is invalid or expired.", code=error_codes.INVALID_RESET_TOKEN)}
        )
    _validate_new_password(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)  # changes the hash the token was made from: the token is spent
        user.save(update_fields=["password"])
        revoke_all_sessions(user)
        return issue_token_pair(user)


def _user_for_reset_token(token: object) -> User | None:
    if not isinstance(token, str) or "." not in token or len(token) > 200:
        return None
    encoded_id, _, secret = token.partition(".")
    # Django's check_token encodes the secret: a lone surrogate would raise there instead of simply not matching.
    if not _RESET_SECRET.fullmatch(secret):
        return None
    try:
        user = User.objects.filter(pk=force_str(urlsafe_base64_decode(encoded_id)), is_active=True).first()
    except (ValueError, TypeError, ValidationError, UnicodeDecodeError):
        return None
    if user is None or not default_token_generator.check_token(user, secret):
        return None
    return user


def _validate_new_password(password: object, user: User, *, field: str) -> None:
    if not isinstance(password, str) or not is_storable(password) or not 0 < len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationError(
            {field: ValidationError("Enter a password of up to 4096 characters.", code=error_codes.INVALID_PASSWORD)}
        )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError(
            {field: [ValidationError(message, code=error_codes.INVALID_PASSWORD) for message in error.messages]}
        ) from None


def _clean_username(raw: object, errors: dict) -> str | None:
    field = User._meta.get_field("username")
    if not isinstance(raw, str) or not is_storable(raw):
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
    if not isinstance(raw, str) or not is_storable(raw):
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
