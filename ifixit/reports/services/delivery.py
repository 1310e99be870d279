"""Sending a run's file: the email to its recipients (colleagues in To, outside addresses
blind-copied), the file attached or, too large to attach, a signed link that expires."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse

from ifixit.reports import catalogue, renderers
from ifixit.reports.models import Run

LINK_SALT = "ifixit.reports.file"


def file_link(run: Run) -> str:
    token = signing.TimestampSigner(salt=LINK_SALT).sign(str(run.pk))
    return settings.SITE_URL + reverse("report_file_link", args=[token])


def run_for_link(token: str) -> Run | None:
    max_age = timedelta(days=settings.REPORTS_LINK_VALID_DAYS)
    try:
        run_id = int(signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=max_age))
    except (signing.BadSignature, ValueError):
        return None
    return Run.objects.filter(pk=run_id).exclude(file="").first()


def email_run(
    run: Run, *, report: catalogue.Report, parameters: list[tuple[str, str]], content: bytes, addresses: list[str]
) -> bool:
    """Send the report to its recipients; True if it went as a link (too big to attach)."""
    schedule = run.schedule
    internal = {u.email.lower() for u in schedule.recipient_users.all() if u.email}
    as_link = len(content) > settings.REPORTS_ATTACH_MAX_BYTES
    lines = [f"{report.title}", ""] + [f"{label}: {value}" for label, value in parameters]
    lines += ["", f"{run.row_count} row{'s' if run.row_count != 1 else ''}."]
    if as_link:
        lines += [
            "",
            (
                f"The file is too large to attach ({len(content) // 1024:,} KB). Download it within "
                f"{settings.REPORTS_LINK_VALID_DAYS} days:"
            ),
            file_link(run),
        ]
    else:
        lines += ["", f"The report is attached ({run.file_name})."]
    lines += [
        "",
        (
            f"Sent by I-fixit on behalf of {schedule.owner.get_full_name() or schedule.owner.username} "
            f"({schedule.name}, {schedule.cadence.lower()})."
        ),
        f"Change or stop it: {settings.SITE_URL}{reverse('report_schedule_detail', args=[schedule.pk])}",
    ]
    period = next((value for label, value in parameters if label == "Period"), f"{run.report_date:%d %b %Y}")
    message = EmailMessage(
        subject=f"{schedule.name}: {period}",
        body="\n".join(lines),
        # Colleagues see each other; outside addresses are blind-copied, unseen by anyone.
        to=[a for a in addresses if a in internal],
        bcc=[a for a in addresses if a not in internal],
        headers={"Message-ID": f"<report-run-{run.pk}@{settings.SITE_URL.split('//')[-1].split('/')[0]}>"},
    )
    if not as_link:
        message.attach(run.file_name, content, renderers.FORMATS[run.format].content_type)
    message.send()
    return as_link
