"""A user's Django permissions, kept in Redis between requests (an authentication backend).

Django's ModelBackend asks the database for a user's permissions twice on the first has_perm
of every request (the user's own and their groups'), then keeps them on that user object
(`_perm_cache`) for the rest of the request. This backend, listed just before ModelBackend,
keeps that answer in the cache as well, under the user's id, and puts it on the user object
where ModelBackend looks: a request costs one cache read instead of two queries (the API's
permission check on every call, the pages' menus). It signs nobody in; ModelBackend still does,
so sessions keep their backend.

It is dropped whenever what it is made of changes: the user's groups or own permissions (a
role change, the admin), the user row (is_superuser; a new user, who may have an old id after a
rollback), a group's permissions (sync_roles), a group or permission deleted. Dropped at once,
so that the rest of the same transaction reads the new set, and again after the commit, so that
a request that read the old set meanwhile cannot leave it behind. The cached set never outlives
CACHED_SECONDS, for a change made outside the ORM.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.dispatch import receiver

CACHED_SECONDS = 15 * 60


def cache_key(user_id: int) -> str:
    return f"permissions:user:{user_id}"


class CachedPermissionsBackend:
    """Answers permissions only: no authenticate of its own and no get_user, so sign-ins and
    sessions (force_login too) stay ModelBackend's."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj=obj)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = cache.get(cache_key(user_obj.pk))
            if permissions is None:
                permissions = ModelBackend().get_all_permissions(user_obj)
                cache.set(cache_key(user_obj.pk), permissions, CACHED_SECONDS)
            user_obj._perm_cache = permissions
        return user_obj._perm_cache


def forget(user_ids) -> None:
    """Drop the cached permissions of these users now and once the current transaction commits."""
    keys = [cache_key(user_id) for user_id in set(user_ids)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def _members_of(group_ids) -> list[int]:
    return list(
        get_user_model().groups.through.objects.filter(group_id__in=group_ids).values_list("user_id", flat=True)
    )


def _everyone() -> list[int]:
    return list(get_user_model().objects.values_list("pk", flat=True))


@receiver(m2m_changed, dispatch_uid="permissions-user-groups")
def _memberships_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_") and action != "pre_clear":
        return
    user_model = get_user_model()
    if sender in (user_model.groups.through, user_model.user_permissions.through):
        if not reverse:
            forget([instance.pk])  # a user's groups or own permissions
        elif action == "pre_clear":
            forget(_everyone() if sender is user_model.user_permissions.through else _members_of([instance.pk]))
        else:
            forget(pk_set or [])  # from the group's or permission's side: the users named
    elif sender is Group.permissions.through:
        if not reverse:
            forget(_members_of([instance.pk]))  # a group's permissions (sync_roles)
        else:
            forget(_members_of(pk_set) if pk_set else _everyone())  # from the permission's side


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="permissions-user-saved")
def _user_saved(sender, instance, **kwargs):
    forget([instance.pk])


@receiver(pre_delete, sender=Group, dispatch_uid="permissions-group-deleted")
def _group_deleted(sender, instance, **kwargs):
    forget(_members_of([instance.pk]))


@receiver(pre_delete, sender=Permission, dispatch_uid="permissions-permission-deleted")
def _permission_deleted(sender, instance, **kwargs):
    forget(_everyone())
