"""Printable documents (reportlab): the movement note a driver carries with a car."""

from io import BytesIO

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ifixit.inventory.models import Transfer


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else "—"


def movement_note(transfer: Transfer) -> bytes:
    car = transfer.car
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"Movement note {transfer.pk}", author="I-fixit",
    )
    local = timezone.localtime
    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef1f5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
    ])
    vehicle = [
        ["Vehicle", f"{car.year} {car.make} {car.model} {car.trim}".strip()],
        ["Registration", car.registration_display or "—"],
        ["VIN", car.vin],
        ["Colour / mileage", f"{car.colour or '—'} / {car.mileage:,} miles"],
    ]
    movement = [
        ["From", f"{transfer.from_location.name}\n{transfer.from_location.address}".strip()],
        ["To", f"{transfer.to_location.name}\n{transfer.to_location.address}".strip()],
        ["Planned", f"{transfer.planned_on:%d %B %Y}"],
        ["Reason", transfer.reason],
        ["Approved by", f"{_person(transfer.decided_by)}, {local(transfer.decided_at):%d %b %Y %H:%M}" if transfer.decided_at else "—"],
        ["Dispatched", f"{_person(transfer.dispatched_by)}, {local(transfer.dispatched_at):%d %b %Y %H:%M}" if transfer.dispatched_at else "—"],
    ]
    signatures = [
        ["", "Name", "Signature", "Date and time", "Mileage"],
        ["Handed over by", "", "", "", ""],
        ["Driver", "", "", "", ""],
        ["Received by", "", "", "", ""],
    ]
    story = [
        Paragraph(f"I-fixit · Vehicle movement note #{transfer.pk}", styles["Title"]),
        Spacer(1, 4 * mm),
        Table(vehicle, colWidths=[42 * mm, None], style=grid),
        Spacer(1, 6 * mm),
        Table(movement, colWidths=[42 * mm, None], style=grid),
        Spacer(1, 8 * mm),
        Paragraph("Check the vehicle with the driver at collection and at delivery; note any damage below.", styles["Normal"]),
        Spacer(1, 3 * mm),
        Table(signatures, colWidths=[32 * mm, 38 * mm, 44 * mm, 32 * mm, 28 * mm], rowHeights=[7 * mm] + [14 * mm] * 3, style=grid),
        Spacer(1, 6 * mm),
        Paragraph("Damage / notes:", styles["Normal"]),
        Table([[""]], colWidths=[None], rowHeights=[40 * mm], style=TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.grey)])),
    ]
    doc.build(story)
    return buffer.getvalue()
