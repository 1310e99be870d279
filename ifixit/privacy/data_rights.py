"""A customer's rights over their personal data (UK GDPR): a copy of everything held about
them (articles 15 and 20: `customer_export`, `customer_export_pdf`) and erasure (article 17:
`customer_erase`). The pages and the API call these; each writes an audit row.

COVERAGE names every relation to a customer in the project, with how its rows are exported
and what erasure does to them; a test walks the model registry and fails when a relation
appears that COVERAGE does not name. TEXT_FIELDS says, field by field, what erasure
overwrites and what it keeps on purpose; a test fails when a text field is in neither.

Erasure anonymises rather than deletes: sales and finance applications must stay in the
books with every figure (HMRC wants six years of sales records; the lender's agreement
and the dealer's commission rest on the application), so the customer row stays, as
"Erased customer #<number>", and everything that said who they were goes.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, Model, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ifixit.accounts import audit
from ifixit.accounts.models import User
from ifixit.crm import selectors
from ifixit.crm.models import ERASE_PERMISSION, Communication, Customer, FollowUp, Survey
from ifixit.finance.models import OPEN as OPEN_APPLICATION
from ifixit.finance.models import ApplicationEvent, FinanceApplication
from ifixit.inventory.models import Sale
from ifixit.notifications.models import Notification

ERASED = "[erased]"
EXPORT_FORMAT = "ifixit.customer-export/1"
REASON_MAX_LENGTH = 500

HistoricalCustomer = Customer.history.model
HistoricalCustomerTag = apps.get_model("crm", "HistoricalCustomer_tags")  # simple-history's copy of the tags of each version


def erased_name(customer_id: int) -> str:
    return f"Erased customer #{customer_id}"


# --- What is covered -----------------------------------------------------------------------


@dataclass(frozen=True)
class Treatment:
    """How one kind of row about the customer is exported and erased (shown on the erase page)."""

    what: str
    section: str  # its key in the export
    exported: str
    erased: str
    kept: str


# Every relation to crm.Customer, as "app_label.Model.field" (through tables included: that
# is where a many-to-many to the customer lives), plus the record itself. Keep it in step with
# the models: test_data_rights walks the registry.
COVERAGE: dict[str, Treatment] = {
    "crm.Customer": Treatment(
        "The customer record",
        "customer",
        exported="Every field: name, contact name, email, phone, address, notes, marketing consent and when it changed.",
        erased="Name becomes “Erased customer #<number>”; contact name, email, phone, address and notes are emptied; "
        "marketing consent is withdrawn and its dates cleared.",
        kept="The record number, person or business, when it was made, and its locations: sales and finance "
        "applications point at it, and its locations decide who may see them.",
    ),
    "crm.Customer.merged_into": Treatment(
        "Duplicate records merged into it",
        "merged_records",
        exported="Each merged record's details.",
        erased="Erased like the record itself: a merged duplicate is the same person.",
        kept="The pointer to this record, so old links still lead here.",
    ),
    "crm.Customer_tags.customer": Treatment(
        "Tags",
        "tags",
        exported="The tag names.",
        erased="Taken off the customer: a tag says something about the person.",
        kept="The tags themselves, which other customers carry.",
    ),
    "crm.Customer_locations.customer": Treatment(
        "Locations",
        "locations",
        exported="Where they bought or were served.",
        erased="Nothing.",
        kept="All of them: they decide who may see the erased record and the sales behind it.",
    ),
    "crm.HistoricalCustomer.merged_into": Treatment(
        "Change history",
        "history",
        exported="Every past version of the record: its details, who changed it, when and why.",
        erased="Every version's details are overwritten like the record's, and change reasons (they quote names) "
        "become [erased].",
        kept="Who changed the record and when.",
    ),
    "crm.HistoricalCustomer_tags.customer": Treatment(
        "Tags of past versions",
        "history",
        exported="With each version, the tags it had.",
        erased="Deleted.",
        kept="Nothing.",
    ),
    "crm.Communication.customer": Treatment(
        "Communication log",
        "communications",
        exported="Every email, SMS, call, visit and note: subject, text, the address used, delivery.",
        erased="Subject, text, address and delivery error become [erased]; a message still waiting to go is stopped.",
        kept="Channel, direction, purpose, time, who sent it and whether it was delivered: that there was contact, "
        "not what was said.",
    ),
    "crm.FollowUp.customer": Treatment(
        "Follow-ups",
        "follow_ups",
        exported="Each follow-up: due, for whom, its note, outcome and outcome note.",
        erased="Notes and outcome notes become [erased]; open follow-ups are cancelled.",
        kept="Due and done dates, who it was for, outcomes: the staff's work figures.",
    ),
    "crm.Survey.customer": Treatment(
        "Satisfaction surveys",
        "surveys",
        exported="Each survey: when sent, the answers and the comment.",
        erased="Comments become [erased]; a survey not yet answered is cancelled and its link stops working.",
        kept="Scores and dates: the satisfaction figures, now tied to no one.",
    ),
    "finance.FinanceApplication.customer": Treatment(
        "Finance applications",
        "finance_applications",
        exported="Each application: lender, car, price, deposit, part-exchange, amount, term, APR, monthly payment, "
        "status, decision, dates, and every step of its workflow with its note.",
        erased="Notes on the workflow steps become [erased]. Erasure is refused while an application is open "
        "(draft, submitted, referred, approved or contract signed).",
        kept="Every figure, status, decision, date and the lender's reference: the lender's agreement and the "
        "dealer's commission rest on them.",
    ),
    "inventory.Sale.customer": Treatment(
        "Purchases",
        "purchases",
        exported="Each car bought: price, date, payment, part-exchange, delivery.",
        erased="The buyer's name on the sale becomes “Erased customer #<number>”; a payment note becomes [erased].",
        kept="The car, price, costs, payment, part-exchange and dates: sales records are kept six years for HMRC, "
        "and every figure and report stays to the penny.",
    ),
}

# Rows that copy the customer's details without a relation to them, found by their links.
COPIES: dict[str, Treatment] = {
    "notifications.Notification": Treatment(
        "Staff notifications about the customer",
        "",
        exported="Not exported: they are staff's messages, and what they say is in the sections above.",
        erased="Title and text become [erased] (they quote the name and replies).",
        kept="Who was told, when, and the link.",
    ),
}


@dataclass(frozen=True)
class TextFields:
    """What erasure does to each text field of a model: overwritten with ERASED (an empty
    one stays empty), emptied, replaced by the erased name, or kept on purpose."""

    erased: tuple[str, ...] = ()
    blanked: tuple[str, ...] = ()
    renamed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


CUSTOMER_TEXT = TextFields(
    renamed=("name",),
    blanked=("contact_name", "email", "phone", "address_line1", "address_line2", "town", "postcode", "notes"),
    kept=("kind",),
)
TEXT_FIELDS: dict[type[Model], TextFields] = {
    Customer: CUSTOMER_TEXT,
    HistoricalCustomer: TextFields(
        renamed=CUSTOMER_TEXT.renamed,
        blanked=CUSTOMER_TEXT.blanked,
        erased=("history_change_reason",),
        kept=(*CUSTOMER_TEXT.kept, "history_type"),
    ),
    Communication: TextFields(
        erased=("subject", "body", "address", "last_error"),
        kept=("channel", "direction", "purpose", "status", "provider_id"),
    ),
    FollowUp: TextFields(erased=("note", "outcome_note"), kept=("status", "outcome")),
    # The token's nonce and hash are not the link (that needs the site's secret) and say nothing of the person.
    Survey: TextFields(erased=("comment",), kept=("status", "token_nonce", "token_hash")),
    # The lender's reference is the key to the agreement the lender must keep; statuses are codes.
    FinanceApplication: TextFields(kept=("lender_reference", "status", "decision")),
    ApplicationEvent: TextFields(erased=("note",), kept=("from_status", "to_status")),
    # A part-exchange is a car the dealer bought: its registration and description are stock records.
    Sale: TextFields(
        renamed=("buyer_name",),
        erased=("payment_note",),
        kept=("payment", "part_exchange_registration", "part_exchange_description"),
    ),
    Notification: TextFields(erased=("title", "body"), kept=("kind", "link", "dedupe_key")),
}
# Marketing consent is withdrawn with its dates: an erased record has agreed to nothing.
CUSTOMER_CONSENT_OFF = {
    "email_marketing": False,
    "email_marketing_changed_at": None,
    "sms_marketing": False,
    "sms_marketing_changed_at": None,
}


def _overwrites(model: type[Model], customer_id: int | None = None) -> dict:
    """The values (or expressions, for an update) erasure writes into a model's text fields."""
    fields = TEXT_FIELDS[model]
    values: dict = {name: "" for name in fields.blanked}
    for name in fields.renamed:
        values[name] = erased_name(customer_id)
    for name in fields.erased:
        # An empty field stays empty: "[erased]" would claim there had been something.
        values[name] = Case(
            When(Q(**{f"{name}__isnull": True}) | Q(**{name: ""}), then=F(name)),
            default=Value(ERASED),
            output_field=model._meta.get_field(name),
        )
    return values


# --- Export --------------------------------------------------------------------------------


def _plain(value):
    """A value as JSON has it: money and rates as strings (exact), times in local ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, User):
        return value.get_username()
    return value


def _row(obj, *names: str) -> dict:
    return {name: _plain(getattr(obj, name)) for name in names}


def _car(car) -> str | None:
    if car is None:
        return None
    return f"{car.year} {car.make} {car.model} ({car.registration_display or car.vin})"


PERSONAL_FIELDS = ("name", "contact_name", "email", "phone", "address_line1", "address_line2", "town", "postcode", "notes")
CONSENT_FIELDS = tuple(CUSTOMER_CONSENT_OFF)


def _customer_row(customer: Customer) -> dict:
    return _row(customer, "id", "kind", *PERSONAL_FIELDS, "created_at", "created_by", "merged_into_id", "erased_at", "erased_by")


def _history(records: list[Customer]) -> list[dict]:
    ids = [r.pk for r in records]
    versions = list(
        HistoricalCustomer.objects.filter(id__in=ids).select_related("history_user").order_by("id", "history_date", "history_id")
    )
    tags: dict[int, list[str]] = {}
    for history_id, name in HistoricalCustomerTag.objects.filter(history__in=versions).values_list("history_id", "tag__name"):
        tags.setdefault(history_id, []).append(name)
    return [
        {
            "customer_id": v.id,
            "version": v.history_id,
            "at": _plain(v.history_date),
            "change": {"+": "created", "~": "changed", "-": "deleted"}.get(v.history_type, v.history_type),
            "by": _plain(v.history_user),
            "reason": v.history_change_reason or "",
            **_row(v, "kind", *PERSONAL_FIELDS, *CONSENT_FIELDS),
            "tags": sorted(tags.get(v.history_id, [])),
        }
        for v in versions
    ]


def customer_export(*, user: User, customer_id: int) -> dict:
    """Everything held about a customer the user may see, as JSON-ready data (raises
    Customer.DoesNotExist otherwise). Every location's rows are in it: the group is one
    controller, and the record is one across the group. The dealer's own figures about
    the customer's car (its cost, the margin) are not theirs and are left out."""
    customer = selectors.customer_get(user=user, pk=customer_id)
    merged = list(Customer.objects.filter(merged_into=customer).order_by("pk"))
    communications = customer.communications.select_related("user", "car", "location").order_by("occurred_at", "id")
    follow_ups = customer.follow_ups.select_related("assignee", "done_by", "car", "location").order_by("due_at", "id")
    surveys = customer.surveys.select_related("sale__car", "location", "salesperson").order_by("send_on", "id")
    applications = (
        FinanceApplication.objects.filter(customer=customer)
        .select_related("lender", "car", "location", "salesperson")
        .prefetch_related("events__by")
        .order_by("created_at", "id")
    )
    purchases = Sale.objects.filter(customer=customer).select_related("car", "location", "sold_by").order_by("sold_on", "id")
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": _plain(timezone.now()),
        "exported_by": user.get_username(),
        "customer": _customer_row(customer),
        "consent": _row(customer, *CONSENT_FIELDS),
        "tags": [tag.name for tag in customer.tags.all()],
        "locations": [{"id": loc.pk, "name": loc.name} for loc in customer.locations.all()],
        "merged_records": [_customer_row(record) for record in merged],
        "history": _history([customer, *merged]),
        "communications": [
            {
                **_row(c, "id", "occurred_at", "channel", "direction", "purpose", "subject", "body", "address", "status", "sent_at"),
                "by": _plain(c.user),
                "location": c.location.name if c.location else None,
                "car": _car(c.car),
            }
            for c in communications
        ],
        "follow_ups": [
            {
                **_row(f, "id", "due_at", "status", "note", "outcome", "outcome_note", "done_at", "created_at"),
                "for": _plain(f.assignee),
                "done_by": _plain(f.done_by),
                "location": f.location.name,
                "car": _car(f.car),
            }
            for f in follow_ups
        ],
        "surveys": [
            {
                **_row(s, "id", "send_on", "status", "sent_at", "answered_at", "recommend_score", "satisfaction", "comment"),
                "car": _car(s.sale.car),
                "location": s.location.name,
                "salesperson": _plain(s.salesperson),
            }
            for s in surveys
        ],
        "finance_applications": [
            {
                **_row(
                    a, "id", "lender_reference", "cash_price", "deposit", "part_exchange", "amount_financed", "term_months",
                    "apr", "monthly_payment", "status", "decision", "created_at", "submitted_at", "decided_at", "funded_at",
                ),
                "lender": a.lender.name,
                "car": _car(a.car),
                "location": a.location.name,
                "salesperson": _plain(a.salesperson),
                "events": [
                    {**_row(e, "at", "from_status", "to_status", "note"), "by": _plain(e.by)} for e in a.events.all()
                ],
            }
            for a in applications
        ],
        "purchases": [
            {
                **_row(
                    s, "id", "sold_on", "price", "payment", "part_exchange_allowance", "part_exchange_registration",
                    "part_exchange_description", "buyer_name", "delivered_at",
                ),
                "car": _car(s.car),
                "location": s.location.name,
                "sold_by": _plain(s.sold_by),
            }
            for s in purchases
        ],
    }
    audit.record(None, audit.CUSTOMER_EXPORTED, actor=user, detail={"customer": customer.pk})
    return data


SECTION_TITLES = {
    "customer": "Details",
    "consent": "Marketing consent",
    "tags": "Tags",
    "locations": "Locations",
    "merged_records": "Duplicate records merged into this one",
    "history": "Change history",
    "communications": "Communication log",
    "follow_ups": "Follow-ups",
    "surveys": "Satisfaction surveys",
    "finance_applications": "Finance applications",
    "purchases": "Purchases",
}


def _label(key: str) -> str:
    return key.removesuffix("_id").replace("_", " ").capitalize()


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and len(value) > 19 and value[10] == "T":  # a time, as _plain wrote it
        try:
            return f"{datetime.datetime.fromisoformat(value):%d %b %Y %H:%M}"
        except ValueError:
            pass
    if isinstance(value, list):  # a finance application's steps, a version's tags
        lines = [
            ", ".join(f"{_label(k)}: {_text(v)}" for k, v in item.items()) if isinstance(item, dict) else str(item)
            for item in value
        ]
        return "\n".join(lines) or "—"
    return str(value)


def customer_export_pdf(data: dict) -> bytes:
    """The export as a document a person can read: a table per record, section by section."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    cell.fontSize, cell.leading = 9, 11

    def para(value) -> Paragraph:
        return Paragraph(escape(_text(value)).replace("\n", "<br/>"), cell)

    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef1f5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ])

    def facts(row: dict) -> Table:
        return Table([[para(_label(k)), para(v)] for k, v in row.items()], colWidths=[45 * mm, None], style=grid)

    buffer = BytesIO()
    name = data["customer"]["name"]
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"Personal data held about {name}", author="I-fixit",
    )
    story = [
        Paragraph(escape(f"Personal data held about {name}"), styles["Title"]),
        Paragraph(
            escape(f"Customer #{data['customer']['id']} · exported {data['exported_at']} by {data['exported_by']}"), styles["Normal"]
        ),
        Spacer(1, 4 * mm),
    ]
    for key, title in SECTION_TITLES.items():
        value = data[key]
        story.append(Paragraph(escape(title), styles["Heading2"]))
        if isinstance(value, dict):
            story.append(facts(value))
        elif not value:
            story.append(Paragraph("None.", styles["Normal"]))
        elif all(isinstance(item, dict) for item in value):
            for item in value:
                story += [facts(item), Spacer(1, 3 * mm)]
        else:
            story.append(Paragraph(escape(", ".join(str(item) for item in value)), styles["Normal"]))
    doc.build(story)
    return buffer.getvalue()


# --- Erasure -------------------------------------------------------------------------------


class ErasureRefused(ValidationError):
    """The record must be kept as it is (or has nothing left to erase): says why and what to do.
    The record's state refuses the request, so the API answers 409 (ifixit.errors.conflict)."""

    def __init__(self, reasons: list[str]):
        super().__init__([ValidationError(reason, code="conflict") for reason in reasons])


def erase_refusals(customer: Customer) -> list[str]:
    """Why the customer cannot be erased now; empty when they can. The page shows these
    before anyone types a reason; the service checks them again under the row lock."""
    if customer.is_erased:
        who = customer.erased_by.get_username() if customer.erased_by else "someone"
        return [f"This customer was erased on {timezone.localtime(customer.erased_at):%d %b %Y} by {who}: nothing is left to erase."]
    if customer.is_merged:
        return [f"Record #{customer.pk} was merged into #{customer.merged_into_id}: erase that record, and this one goes with it."]
    # An open application (OPEN: draft, submitted, referred, approved, contract signed) is a
    # deal in progress that the customer asked for: the lender is deciding or paying out on
    # these details, and we must be able to answer for them (UK GDPR art. 6(1)(b), 17(3)(b)
    # and (e)). Declined, withdrawn and funded ones are closed: their figures are kept, not
    # the person.
    open_applications = (
        FinanceApplication.objects.filter(Q(customer=customer) | Q(customer__merged_into=customer), status__in=OPEN_APPLICATION)
        .select_related("lender")
        .order_by("pk")
    )
    return [
        f"Finance application #{a.pk} with {a.lender.name} is still open ({a.get_status_display().lower()}): the lender "
        "and we need these details until it ends. Withdraw it, or wait until it is funded or declined, then erase."
        for a in open_applications
    ]


def _erase_record(record: Customer, *, user: User, now: datetime.datetime) -> None:
    # Clearing tags would write a history version holding the old details: skipped, the
    # save below writes the one version of the erased record.
    record.skip_history_when_saving = True
    record.tags.clear()
    del record.skip_history_when_saving
    # Earlier versions hold the old details and reasons that quote names: overwritten in place,
    # keeping who changed the record and when.
    HistoricalCustomer.objects.filter(id=record.pk).update(**_overwrites(HistoricalCustomer, record.pk), **CUSTOMER_CONSENT_OFF)
    HistoricalCustomerTag.objects.filter(customer_id=record.pk).delete()
    for name, value in {**_overwrites(Customer, record.pk), **CUSTOMER_CONSENT_OFF}.items():
        setattr(record, name, value)
    record.erased_at, record.erased_by = now, user
    record._history_user = user
    record._change_reason = "Personal data erased"
    record.save()


def _erase_rows(customer: Customer, *, user: User, now: datetime.datetime) -> None:
    """What the record's rows said about the person; every figure stays."""
    communications = Communication.objects.filter(customer=customer)
    # Not yet sent: it never goes (and a stale claim is never picked up again).
    waiting = [Communication.Status.QUEUED, Communication.Status.RETRYING, Communication.Status.SENDING]
    communications.filter(status__in=waiting).update(status=Communication.Status.FAILED)
    communications.update(**_overwrites(Communication))
    FollowUp.objects.filter(customer=customer, status=FollowUp.Status.OPEN).update(
        status=FollowUp.Status.CANCELLED, done_at=now, done_by=user
    )
    FollowUp.objects.filter(customer=customer).update(**_overwrites(FollowUp))
    Survey.objects.filter(customer=customer, status__in=[Survey.Status.SCHEDULED, Survey.Status.SENT]).update(
        status=Survey.Status.CANCELLED, token_hash=None
    )
    Survey.objects.filter(customer=customer).update(**_overwrites(Survey))
    ApplicationEvent.objects.filter(application__customer=customer).update(**_overwrites(ApplicationEvent))
    Sale.objects.filter(customer=customer).update(**_overwrites(Sale, customer.pk))
    links = [reverse("customer_detail", args=[customer.pk])]
    links += [
        reverse("survey_detail", args=[pk]) for pk in Survey.objects.filter(customer=customer).values_list("pk", flat=True)
    ]
    links += [
        reverse("finance_application_detail", args=[pk])
        for pk in FinanceApplication.objects.filter(customer=customer).values_list("pk", flat=True)
    ]
    Notification.objects.filter(link__in=links).update(**_overwrites(Notification))


def customer_erase(*, user: User, customer_id: int, reason: str) -> Customer:
    """Erase the personal data of a customer the user may see, with its merged duplicates,
    in one transaction: all of it or, on refusal, nothing. Raises PermissionDenied,
    Customer.DoesNotExist, ValidationError for a missing reason, and ErasureRefused (also a
    ValidationError, recorded in the audit log) when the record must be kept."""
    if not user.has_perm(ERASE_PERMISSION):
        raise PermissionDenied(f"You do not have permission to do this ({ERASE_PERMISSION}).")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: whose request it was and when (by its date and channel, not the name)."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX_LENGTH} characters."})
    try:
        with transaction.atomic():
            try:
                customer = selectors.customers_visible_to(user, include_merged=True).select_for_update().get(pk=customer_id)
            except Customer.DoesNotExist:
                raise Customer.DoesNotExist(f"No customer {customer_id} that you may see.") from None
            refusals = erase_refusals(customer)
            if refusals:
                raise ErasureRefused(refusals)
            # Merging flattens chains (crm.services.customer_merge), so one level is all of them.
            merged = list(Customer.objects.select_for_update().filter(merged_into=customer).order_by("pk"))
            now = timezone.now()
            for record in [customer, *merged]:
                _erase_record(record, user=user, now=now)
                _erase_rows(record, user=user, now=now)
            audit.record(
                None,
                audit.CUSTOMER_ERASED,
                actor=user,
                detail={"customer": customer.pk, "merged_records": [r.pk for r in merged], "reason": reason},
            )
    except ErasureRefused as refused:
        # After the rollback, so the refusal is on record though nothing else was written.
        audit.record(
            None, audit.CUSTOMER_ERASE_REFUSED, actor=user, detail={"customer": customer_id, "why": refused.messages}
        )
        raise
    return customer
