"""Where a job's subject is shown: "app.model:pk" (ifixit.jobs.outbox.about_label) to the page
of that car, customer, report run, lot... Only the pages that exist are linked; the rest show
their label."""

from django.urls import NoReverseMatch, reverse

# model label -> URL name taking the primary key
PAGES = {
    "inventory.car": "car_detail",
    "crm.customer": "customer_detail",
    "auctions.lot": "lot_detail",
    "reports.run": "report_run_detail",
    "reports.schedule": "report_schedule_detail",
    "finance.financeapplication": "finance_application_detail",
    "analytics.importbatch": "analytics_import_detail",
}


def about_link(about: str) -> tuple[str, str]:
    """(label, url or "") for a job's subject."""
    if not about:
        return "", ""
    if about.startswith("schedule:"):
        return f"Schedule “{about.removeprefix('schedule:')}”", ""
    label, _, pk = about.partition(":")
    name = PAGES.get(label)
    readable = f"{label.split('.')[-1]} {pk}"
    if not name or not pk:
        return readable, ""
    try:
        return readable, reverse(name, args=[int(pk) if pk.isdigit() else pk])
    except NoReverseMatch:
        return readable, ""
