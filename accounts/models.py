import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class CaseInsensitiveUserManager(UserManager):
    """Usernames are unique without regard to case, so every lookup by natural key ignores case too."""

    def get_by_natural_key(self, username: str) -> "User":
        return self.with_username(username).get()

    def with_username(self, username: str) -> models.QuerySet:
        return self.with_usernames([username])

    def with_usernames(self, usernames: list[str]) -> models.QuerySet:
        # lower(username) = lower(%s) uses the functional unique index; `__iexact` would compare UPPER() and scan.
        lowered = [username.lower() for username in usernames]
        return self.get_queryset().alias(username_lower=Lower("username")).filter(username_lower__in=lowered)

    def with_email(self, email: str) -> models.QuerySet:
        return self.get_queryset().alias(email_lower=Lower("email")).filter(email_lower=email.lower())


class User(AbstractUser):
    # Random ids: sequential ones would let any user count everyone else's sign-ups.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address")
    # Access tokens carry the version they were issued under; logout, password change and reset bump it, so every
    # token issued before stops working at once instead of living out its lifetime.
    token_version = models.PositiveIntegerField(default=0)

    objects = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]


class RefreshTokenLineage(models.Model):
    """The rotation family of one graphql_jwt refresh token.

    Each refresh issues a successor in the same family; presenting a token that was already rotated or revoked
    revokes the whole family, so a stolen token that races its owner burns every token derived from it. The one
    exception is a replay within REFRESH_TOKEN_REUSE_INTERVAL seconds of the rotation, while the successor is still
    live: it gets that same successor (a client that retried a refresh over a flaky network stays logged in).
    """

    refresh_token = models.OneToOneField(
        "refresh_token.RefreshToken", primary_key=True, on_delete=models.CASCADE, related_name="lineage"
    )
    family = models.UUIDField(db_index=True)
    # Set when this token is rotated: its successor's secret, sealed with a key only this token's own secret
    # derives (see accounts.tokens), so a replay within REFRESH_TOKEN_REUSE_INTERVAL can be answered with the same
    # successor. The database alone cannot unseal it.
    rotated_at = models.DateTimeField(null=True)
    successor_sealed = models.BinaryField(null=True)
