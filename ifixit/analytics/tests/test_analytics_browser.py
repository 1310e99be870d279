"""On a phone (375 px), against the real system (uvicorn, and a Celery worker for the
import): the market page for a chosen segment draws its price trend and seasonal profile;
the benchmarks sort by a column; a file imported through the pages goes from upload to
matching its columns, to the progress bar, to its result with the bad row listed."""

import csv
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ifixit.analytics import synthetic
from ifixit.analytics.models import ImportBatch, SaleFact
from ifixit.analytics.warehouse import services as warehouse
from ifixit.inventory.models import Phase, Sale
from ifixit.inventory.tests.test_browser import sign_in
from ifixit.testing.browser import screenshot
from ifixit.testing.factories import CarFactory, UserFactory
from ifixit.testing.live import fits
from ifixit.testing.processes import process_env, start_web, start_worker

pytestmark = [pytest.mark.browser, pytest.mark.real_password_hashing, pytest.mark.django_db(transaction=True)]

PASSWORD = "mia-long-password"


@pytest.fixture
def web(tmp_path):
    proc = start_web("analytics-web", tmp_path, process_env())
    yield proc
    proc.kill()


@pytest.fixture
def mia(north):
    return UserFactory(username="mia", first_name="Mia", role="manager", password=PASSWORD, locations=[north])


def test_the_market_page_draws_a_segment_s_trend_and_seasonal_profile_on_a_phone(web, phone, mia):
    # Three years of market history: about 40 Fords a month, enough for a seasonal pattern.
    SaleFact.objects.bulk_create(list(synthetic.facts(count=8000, seed=5, end=timezone.localdate())), batch_size=4000)
    warehouse.rollups_refresh()
    page = phone
    sign_in(page, web.url, "mia", PASSWORD)

    page.goto(f"{web.url}/analytics/")
    page.get_by_label("Make").select_option("Ford")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("paragraph").filter(has_text="Ford ·")).to_be_visible()
    trend = page.get_by_test_id("trend")
    expect(trend.locator("svg.trend-chart path.median")).to_be_visible()
    expect(trend.get_by_test_id("latest-median")).to_contain_text("£")
    seasons = page.get_by_test_id("seasonality")
    expect(seasons.locator(".season-table tbody tr")).to_have_count(12)
    expect(seasons.locator(".season-bar").first).to_be_visible()
    expect(seasons.get_by_test_id("best-buy")).not_to_be_empty()
    expect(seasons.get_by_test_id("best-sell")).not_to_be_empty()
    expect(seasons.get_by_test_id("season-rule")).to_contain_text("at least 20 sales")
    fits(page)
    screenshot(page, "70-market-segment-375")


def test_the_benchmarks_sort_by_a_column_on_a_phone(web, phone, mia, north):
    # Four Kias making £500 each, two Fords making £3,000 each: most sales first puts Kia
    # first, most profit first puts Ford first.
    for make, profit, count in (("Kia", 500, 4), ("Ford", 3000, 2)):
        for i in range(count):
            car = CarFactory(
                location=north,
                make=make,
                model="Model",
                phase=Phase.SOLD,
                purchase_price=Decimal(5000),
                auction_fees=0,
                transport_cost=0,
                purchased_on=timezone.localdate() - timedelta(days=40 + i),
            )
            Sale.objects.create(
                car=car, sold_on=timezone.localdate() - timedelta(days=5), price=Decimal(5000 + profit), location=north
            )
    page = phone
    sign_in(page, web.url, "mia", PASSWORD)

    page.goto(f"{web.url}/analytics/benchmarks/")
    rows = page.get_by_test_id("benchmark-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Kia Model")
    page.get_by_test_id("benchmark-table").get_by_role("link", name="Gross profit").click()

    expect(page.get_by_role("columnheader", name="Gross profit")).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_contain_text("Ford Model")
    expect(rows.first).to_contain_text("£3,000")
    assert "sort=-gross_profit" in page.url  # the order is in the address: reload or share it
    fits(page)
    screenshot(page, "71-benchmarks-sorted-375")


def test_an_import_through_the_pages_shows_its_progress_and_the_bad_row_on_a_phone(web, phone, mia, tmp_path):
    path = tmp_path / "bca-march.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Manufacturer", "Model", "Reg year", "Odometer", "Hammer price", "Sale date"])
        for i in range(40):
            writer.writerow(
                ["VW", "Golf", "2019", str(30_000 + i * 500), str(9_000 + i * 25), f"{1 + i % 28:02d}/03/2026"]
            )
        writer.writerow(["Ford", "Focus", "2018", "45000", "n/a", "05/03/2026"])  # row 42: no price
    page = phone
    sign_in(page, web.url, "mia", PASSWORD)

    page.goto(f"{web.url}/analytics/imports/new/")
    page.get_by_label("File of sales").set_input_files(str(path))
    page.get_by_role("button", name="Next: match the columns").click()

    expect(page.get_by_test_id("import-preview")).to_contain_text("Hammer price")
    # The columns are suggested from their names; the source is for the user to say.
    expect(page.get_by_role("combobox", name="Make", exact=True)).to_have_value("Manufacturer")
    expect(page.get_by_role("combobox", name="Price", exact=True)).to_have_value("Hammer price")
    page.get_by_role("textbox", name="Source", exact=True).fill("BCA")
    fits(page)
    screenshot(page, "72-import-columns-375")
    page.get_by_role("button", name="Start the import").click()

    # No worker yet: the batch waits in the queue and its page polls.
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_contain_text("Waiting for a worker")
    expect(progress.locator("progress")).to_be_visible()
    fits(page)
    screenshot(page, "73-import-progress-375")

    worker = start_worker("analytics-worker", tmp_path, process_env())
    try:
        expect(page.get_by_test_id("import-status")).to_have_text("Imported", timeout=60_000)
    finally:
        worker.kill()
    expect(page.get_by_test_id("import-imported")).to_have_text("40")
    expect(page.get_by_test_id("import-bad")).to_have_text("1")
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("42")
    expect(errors).to_contain_text("Hammer price")
    expect(errors).to_contain_text("“n/a” is not a price.")
    fits(page)
    screenshot(page, "74-import-result-375")

    batch = ImportBatch.objects.get()
    assert (batch.status, batch.imported, batch.bad_rows) == ("done", 40, 1)
    assert SaleFact.objects.filter(batch=batch, make="Volkswagen", sale_date=date(2026, 3, 1)).count() == 2
