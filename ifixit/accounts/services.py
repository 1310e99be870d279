"""Writes on users and tokens."""

from django.contrib.auth.models import Group
from django.db import transaction

from ifixit.accounts import roles
from ifixit.accounts import audit
from ifixit.accounts.models import ApiToken, User


@transaction.atomic
def user_set_role(*, user: User, role: str) -> User:
    if role not in roles.ROLES:
        raise ValueError(f"unknown role {role!r}")
    user.role = role
    user.is_staff = role == roles.ADMIN
    user.save(update_fields=["role", "is_staff"])
    user.groups.set([Group.objects.get(name=role)])
    return user


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its key, which is never stored or shown again."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, name=name, prefix=key[4:12], key_hash=ApiToken.hash_key(key))
    audit.record(None, "token.created", actor=user, target=user, detail={"name": name, "prefix": token.prefix})
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> bool:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        return False
    token.delete()
    audit.record(None, "token.revoked", actor=user, target=user, detail={"name": token.name, "prefix": token.prefix})
    return True
