"""The audit history of a customer record, from django-simple-history's rows: who
changed what, field by field. Three queries whatever the length of the history."""

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps

from ifixit.crm.models import Customer

SHOWN_FIELDS = [
    "kind",
    "name",
    "contact_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "notes",
    "email_marketing",
    "sms_marketing",
    "merged_into",
]
ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: object
    new: object


@dataclass
class Change:
    at: datetime
    user: object
    action: str
    reason: str
    fields: list[FieldChange] = field(default_factory=list)


def _display(name: str, value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "merged_into" and value:
        return f"#{value}"
    return value


def customer_changes(customer: Customer, limit: int = 200) -> list[Change]:
    """Newest first. Tags are compared as sets from one query over the history's tag rows."""
    records = list(customer.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    tag_model = apps.get_model("crm", "HistoricalCustomer_tags")  # simple-history's through table
    tags_by_record: dict[int, set[str]] = {}
    for history_id, name in tag_model.objects.filter(history__in=[r.history_id for r in records]).values_list("history_id", "tag__name"):
        tags_by_record.setdefault(history_id, set()).add(name)
    labels = {f: Customer._meta.get_field(f).verbose_name for f in SHOWN_FIELDS}
    changes = []
    for newer, older in zip(records, records[1:] + [None]):
        if older is None and len(records) > limit:
            break  # the oldest fetched only to diff against
        change = Change(
            at=newer.history_date,
            user=newer.history_user,
            action=ACTIONS.get(newer.history_type, newer.history_type),
            reason=newer.history_change_reason or "",
        )
        if older is not None:
            for name in SHOWN_FIELDS:
                field_name = f"{name}_id" if name == "merged_into" else name
                old, new = getattr(older, field_name), getattr(newer, field_name)
                if old != new:
                    change.fields.append(FieldChange(labels[name].capitalize(), _display(name, old), _display(name, new)))
            old_tags, new_tags = tags_by_record.get(older.history_id, set()), tags_by_record.get(newer.history_id, set())
            if old_tags != new_tags:
                change.fields.append(FieldChange("Tags", ", ".join(sorted(old_tags)), ", ".join(sorted(new_tags))))
            if not change.fields and not change.reason:
                continue  # saved with nothing shown changed (e.g. a location shared)
        changes.append(change)
    return changes
