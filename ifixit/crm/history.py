"""The audit history of a customer record, from django-simple-history's versions: who
changed what, field by field, newest first. The page and the API both read it here.

Two queries whatever the length of the history: the versions, and their tag rows
(diffing tags through simple-history would query twice per version).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps

from ifixit.crm.models import Customer

# Every field of the record someone can change (its id and creation stamp never do).
TRACKED = [f.name for f in Customer._meta.concrete_fields if f.name not in ("id", "created_at", "created_by", "updated_at")]
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
LIMIT = 200


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object

    @property
    def label(self) -> str:
        if self.field == "tags":
            return "Tags"
        return str(Customer._meta.get_field(self.field).verbose_name).capitalize()

    @staticmethod
    def _display(value) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return ", ".join(value)
        if isinstance(value, datetime):
            return f"{value:%d %b %Y %H:%M}"
        return "" if value is None else str(value)

    @property
    def old_display(self) -> str:
        return self._display(self.old)

    @property
    def new_display(self) -> str:
        return self._display(self.new)


@dataclass
class Change:
    id: int
    at: datetime
    user: object
    action: str
    reason: str
    fields: list[FieldChange] = field(default_factory=list)


def customer_changes(customer: Customer, limit: int = LIMIT) -> list[Change]:
    versions = list(customer.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    version_tags = apps.get_model("crm", "HistoricalCustomer_tags")  # simple-history's through table
    tags: dict[int, set[str]] = {}
    for history_id, name in version_tags.objects.filter(history__in=[v.history_id for v in versions]).values_list("history_id", "tag__name"):
        tags.setdefault(history_id, set()).add(name)
    changes = []
    for version, previous in zip(versions, [*versions[1:], None]):
        if previous is None and len(versions) > limit:
            break  # the oldest was fetched only to diff against
        change = Change(
            id=version.history_id,
            at=version.history_date,
            user=version.history_user,
            action=ACTIONS.get(version.history_type, version.history_type),
            reason=version.history_change_reason or "",
        )
        if previous is not None:
            for name in TRACKED:
                attname = Customer._meta.get_field(name).attname
                old, new = getattr(previous, attname), getattr(version, attname)
                if old != new:
                    change.fields.append(FieldChange(name, old, new))
            old_tags, new_tags = sorted(tags.get(previous.history_id, ())), sorted(tags.get(version.history_id, ()))
            if old_tags != new_tags:
                change.fields.append(FieldChange("tags", old_tags, new_tags))
            if not change.fields and not change.reason:
                continue  # saved with nothing changed (a location shared, say): nothing to audit
            change.fields.sort(key=lambda f: f.field)
        changes.append(change)
    return changes
