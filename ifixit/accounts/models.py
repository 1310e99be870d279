"""Users, their role and the locations they may see, and API tokens."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.phones import validate_phone


class UserManager(DjangoUserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """`manage.py createsuperuser` makes a group admin, role and group included."""
        extra_fields.setdefault("role", roles.ADMIN)
        user = super().create_superuser(username, email, password, **extra_fields)
        from django.contrib.auth.models import Group

        group = Group.objects.filter(name=user.role).first()
        if group is not None:
            user.groups.add(group)
        return user


class User(AbstractUser):
    objects = UserManager()

    role = models.CharField(
        max_length=20,
        choices=[(r, r.title()) for r in roles.ROLES],
        default=roles.SALES,
        help_text="Mirrors the user's role group; set through accounts.services.user_set_role.",
    )
    locations = models.ManyToManyField(
        "locations.Location",
        blank=True,
        related_name="staff",
        help_text="Locations this user may see. Admins and group-wide users see all.",
    )
    sees_all_locations = models.BooleanField(
        default=False,
        help_text="Group-wide access (owners, group managers) without listing every location.",
    )

    mobile = models.CharField(
        max_length=20,
        blank=True,
        validators=[validate_phone],
        help_text="Mobile number in international form (+447911123456), for SMS notifications.",
    )

    @property
    def is_group_wide(self) -> bool:
        return self.is_superuser or self.role == roles.ADMIN or self.sees_all_locations


class ApiToken(models.Model):
    """A bearer token for scripts. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, help_text="First characters of the key, to tell tokens apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def new_key(cls) -> str:
        return "ifx_" + secrets.token_urlsafe(32)


class AuditEvent(models.Model):
    """One security-relevant action (ifixit.accounts.audit): who, what, to whom, from where.
    Rows are only ever added; the admin shows them read-only and searchable."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=40, db_index=True)
    target_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="As typed, for sign-ins of unknown names.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_user", "-at"], name="audit_target_time")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.username or self.target_user_id or ''}"


class SignedInSession(models.Model):
    """A browser signed in as the user (ifixit.accounts.sessions): shown on the account page,
    where it can be signed out. The session itself is Django's; this row says where and when."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    signed_in_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]
