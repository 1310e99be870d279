"""Importing historical sales from CSV and XLSX: every bad cell reported by row, column and
reason; re-imports add nothing and count duplicates; all or nothing writes nothing when a
row is bad; makes, units, currencies and dates normalised; the command. The pages are in
test_import_pages.py."""

import csv
import io
import json
import threading
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.utils import timezone

from ifixit.analytics.models import ImportBatch, SaleFact
from ifixit.analytics.warehouse import imports as services
from ifixit.analytics.warehouse import mappings, tasks
from ifixit.analytics.warehouse.rows import parse_date

HEADER = ["Make", "Model", "Year", "Mileage", "Price", "Sale date"]
MAPPING = {"make": "Make", "model": "Model", "year": "Year", "mileage": "Mileage", "price": "Price", "sale_date": "Sale date",
           "source": "BCA", "kind": "auction"}
GOOD = [
    ["Ford", "Focus", "2018", "45,000", "£7,250", "05/03/2024"],
    ["Vauxhall", "Corsa", "2019", "30000", "6100", "2024-03-06"],
    ["Toyota", "Yaris", "2020", "12000", "9,995.50", "7 Mar 2024"],
]


def csv_bytes(rows, header=HEADER, *, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(content: bytes, mapping=MAPPING, *, name="sales.csv", all_or_nothing=False, user=None) -> ImportBatch:
    batch = services.import_create(user=user, file=ContentFile(content, name=name), mapping=mapping,
                                   all_or_nothing=all_or_nothing, run_in_background=False)
    return services.import_run(batch.pk)


def counts(batch: ImportBatch) -> tuple:
    return batch.status, batch.rows_total, batch.imported, batch.duplicates, batch.bad_rows


# --- Rows ---------------------------------------------------------------------------------------


def test_it_reports_every_bad_cell_by_spreadsheet_row_column_and_reason(db):
    future_year = timezone.localdate().year + 2
    rows = [
        GOOD[0],                                                      # row 2
        ["", "Focus", "2018", "45000", "7000", "05/03/2024"],           # 3: no make
        ["Ford", "Focus", "20x8", "45000", "abc", "05/03/2024"],        # 4: year, price
        ["Ford", "Focus", "1899", "-5", "0", "05/03/2024"],             # 5: year, mileage, price
        ["Ford", "Focus", str(future_year), "1000000", "10,000,001", "05/03/2024"],  # 6
        ["Ford", "Focus", "2018", "45000", "7000", "31/02/2024"],       # 7: no such day
        ["Ford", "Focus", "2018", "45000", "7000", "03/25/2024"],       # 8: month first
        ["Ford", "Focus", "2018", "45000", "7000", "01/01/2099"],       # 9: future
        ["Ford", "Focus", "2018", "45000", "€7000", "05/03/2024"],      # 10: another currency
        ["Ford", "Focus", "2018", "45k", "1.234,56", "soon"],           # 11
    ]
    batch = run(csv_bytes(rows))
    assert counts(batch) == ("done", 10, 1, 0, 9)
    assert batch.errors == [
        {"row": 3, "column": "Make", "reason": "Make is empty: every sale needs one."},
        {"row": 4, "column": "Year", "reason": "“20x8” is not a year."},
        {"row": 4, "column": "Price", "reason": "“abc” is not a price."},
        {"row": 5, "column": "Year", "reason": "Year 1899 is before 1900 (classic cars from 1900 are taken)."},
        {"row": 5, "column": "Mileage", "reason": "Mileage cannot be negative."},
        {"row": 5, "column": "Price", "reason": "Price must be more than 0."},
        {"row": 6, "column": "Year", "reason": f"Year {future_year} is after {future_year - 1}."},
        {"row": 6, "column": "Mileage", "reason": "Mileage 1,000,000 miles is not believable (the limit is 999,999)."},
        {"row": 6, "column": "Price", "reason": "Price 10,000,001.00 GBP is over the limit of 10,000,000."},
        {"row": 7, "column": "Sale date", "reason": "“31/02/2024” is not a real date."},
        {"row": 8, "column": "Sale date", "reason": "“03/25/2024” has no month 25: dates are read day first (dd/mm/yyyy). "
                                                    "If the file writes the month first, choose that date format."},
        {"row": 9, "column": "Sale date", "reason": "Sale date 01/01/2099 is in the future."},
        {"row": 10, "column": "Price", "reason": "“€7000” is in EUR but this row's currency is GBP."},
        {"row": 11, "column": "Mileage", "reason": "“45k” is not a mileage."},
        {"row": 11, "column": "Price", "reason": "“1.234,56” is not a price."},
        {"row": 11, "column": "Sale date", "reason": "“soon” is not a date: write it as 2024-03-05, 05/03/2024, 05-03-2024 or 5 Mar 2024."},
    ]
    assert SaleFact.objects.get().make == "Ford"


def test_row_numbers_count_blank_lines_and_the_header_as_a_spreadsheet_does(db):
    content = csv_bytes([GOOD[0]]) + b"\r\n,,,,,\r\n" + b"Ford,Focus,2018,45000,oops,05/03/2024\r\n"
    batch = run(content)
    assert counts(batch) == ("done", 2, 1, 0, 1)
    assert batch.errors == [{"row": 5, "column": "Price", "reason": "“oops” is not a price."}]


def test_a_row_missing_a_source_or_a_ref_from_its_column_is_reported_there(db):
    header = ["Make", "Model", "Price", "Auction house", "Lot"]
    rows = [["Ford", "Focus", "7000", "BCA", "L1"], ["Ford", "Focus", "7000", "", "L2"], ["Ford", "Ka", "3000", "Aston Barclay", ""]]
    mapping = {"make": "Make", "model": "Model", "price": "Price", "source": {"column": "Auction house"}, "ref": "Lot", "kind": "auction"}
    batch = run(csv_bytes(rows, header), mapping)
    assert batch.errors == [
        {"row": 3, "column": "Auction house", "reason": "Source is empty: say where the sale happened."},
        {"row": 4, "column": "Lot", "reason": "Reference is empty: each row of this file needs its id."},
    ]
    assert list(SaleFact.objects.values_list("source", "source_ref")) == [("BCA", "L1")]


def test_the_first_thousand_problems_are_kept_and_every_bad_row_counted(db):
    rows = [["Ford", "Focus", "2018", "45000", "free", ""] for _ in range(1_200)]
    batch = run(csv_bytes(rows))
    assert counts(batch) == ("done", 1_200, 0, 0, 1_200)
    assert len(batch.errors) == 1_000 and batch.errors[-1]["row"] == 1_001


# --- Idempotency ----------------------------------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing_the_second_time(db):
    content = csv_bytes(GOOD)
    first = run(content)
    second = run(content)
    assert counts(first) == ("done", 3, 3, 0, 0)
    assert counts(second) == ("done", 3, 0, 3, 0)
    assert SaleFact.objects.count() == 3
    assert set(SaleFact.objects.values_list("batch_id", flat=True)) == {first.pk}


def test_the_same_sales_in_another_file_are_recognised_whatever_their_columns_and_order(db):
    run(csv_bytes(GOOD))
    header = ["Date sold", "Manufacturer", "Model", "Reg year", "Odometer", "Hammer price"]
    rows = [[r[5], r[0].upper(), r[1].lower(), r[2], r[3], r[4]] for r in reversed(GOOD)] + [["08/03/2024", "Kia", "Picanto", "2017", "51000", "4200"]]
    mapping = {"make": "Manufacturer", "model": "Model", "year": "Reg year", "mileage": "Odometer", "price": "Hammer price",
               "sale_date": "Date sold", "source": "BCA", "kind": "auction"}
    batch = run(xlsx_bytes(rows, header), mapping, name="march.xlsx")
    assert counts(batch) == ("done", 4, 1, 3, 0)
    assert SaleFact.objects.count() == 4


def test_identical_rows_in_one_file_are_separate_sales_and_the_file_read_again_adds_nothing(db):
    # Two Focuses of one year and mileage sold for one price on one day: two cars sold.
    content = csv_bytes([GOOD[0], GOOD[1], GOOD[0]])
    assert counts(run(content)) == ("done", 3, 3, 0, 0)
    assert counts(run(content)) == ("done", 3, 0, 3, 0)
    refs = sorted(SaleFact.objects.filter(make="Ford").values_list("source_ref", flat=True))
    assert refs == [refs[0], refs[0] + ":2"] and SaleFact.objects.count() == 3


def test_a_later_file_with_the_same_identical_sales_finds_them_and_adds_only_the_extra_one(db):
    run(csv_bytes([GOOD[0], GOOD[0]]))
    assert counts(run(csv_bytes([GOOD[0]]))) == ("done", 1, 0, 1, 0)
    assert counts(run(csv_bytes([GOOD[1], GOOD[0], GOOD[0], GOOD[0]]))) == ("done", 4, 2, 2, 0)
    assert SaleFact.objects.filter(make="Ford").count() == 3


def test_all_or_nothing_reads_identical_rows_as_any_import_does_though_it_reads_the_file_twice(db):
    content = csv_bytes([GOOD[0], GOOD[0]])
    assert counts(run(content, all_or_nothing=True)) == ("done", 2, 2, 0, 0)
    assert counts(run(content)) == ("done", 2, 0, 2, 0)


def test_a_ref_repeated_in_one_file_is_one_sale(db):
    header = ["Lot", "Make", "Model", "Price"]
    mapping = {"ref": "Lot", "make": "Make", "model": "Model", "price": "Price", "source": "BCA", "kind": "auction"}
    batch = run(csv_bytes([["L-1", "Ford", "Focus", "7000"], ["L-1", "Ford", "Focus", "7000"]], header), mapping)
    assert counts(batch) == ("done", 2, 1, 1, 0)


def test_the_same_sale_at_another_source_is_another_fact(db):
    run(csv_bytes(GOOD))
    batch = run(csv_bytes(GOOD), {**MAPPING, "source": "Manheim"})
    assert counts(batch) == ("done", 3, 3, 0, 0)


def test_a_ref_column_identifies_the_sale_instead_of_its_content(db):
    header = ["Lot", "Make", "Model", "Price"]
    mapping = {"ref": "Lot", "make": "Make", "model": "Model", "price": "Price", "source": "BCA", "kind": "auction"}
    run(csv_bytes([["L-1", "Ford", "Focus", "7000"]], header), mapping)
    batch = run(csv_bytes([["L-1", "Ford", "Focus", "7100"], ["L-2", "Ford", "Focus", "7000"]], header), mapping)
    assert counts(batch) == ("done", 2, 1, 1, 0)
    assert sorted(SaleFact.objects.values_list("source_ref", "price")) == [("L-1", Decimal("7000.00")), ("L-2", Decimal("7000.00"))]


def test_the_fingerprint_is_of_the_normalised_sale_not_of_its_row(db):
    rows = [["VW", "golf", "2018", "45000", "£7,000", "05/03/2024"]]
    same = [["Volkswagen", "Golf", "2018", "45,000", "7000.00", "2024-03-05"]]
    run(csv_bytes(rows))
    assert counts(run(csv_bytes(same))) == ("done", 1, 0, 1, 0)
    assert SaleFact.objects.get().source_ref.startswith("sha256:")


def test_a_batch_is_imported_once_however_often_its_task_runs(db):
    batch = run(csv_bytes(GOOD))
    again = services.import_run(batch.pk)
    assert counts(again) == ("done", 3, 3, 0, 0) and SaleFact.objects.count() == 3


def test_a_redelivered_task_finishes_a_batch_whose_worker_died_counting_exactly(db):
    batch = services.import_create(user=None, file=ContentFile(csv_bytes(GOOD), name="s.csv"), mapping=MAPPING, run_in_background=False)
    services.import_run(batch.pk)
    # As if the worker died after storing one chunk: the batch still running, some facts stored.
    SaleFact.objects.filter(make="Toyota").delete()
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", imported=0)
    assert services.import_run(batch.pk).status == "running"  # an ordinary duplicate task leaves it alone
    resumed = services.import_run(batch.pk, resume=True)
    assert counts(resumed) == ("done", 3, 3, 0, 0) and SaleFact.objects.count() == 3


def test_the_task_runs_the_import(db):
    batch = services.import_create(user=None, file=ContentFile(csv_bytes(GOOD), name="s.csv"), mapping=MAPPING, run_in_background=False)
    assert tasks.run_import.apply(args=[batch.pk]).get() == "done"
    assert SaleFact.objects.filter(batch=batch).count() == 3


# --- All or nothing -----------------------------------------------------------------------------------


def test_all_or_nothing_refuses_a_file_with_a_bad_row_and_writes_nothing(db):
    rows = GOOD + [["Ford", "Focus", "2018", "45000", "", "05/03/2024"]]
    batch = run(csv_bytes(rows), all_or_nothing=True)
    assert counts(batch) == ("refused", 4, 0, 0, 1)
    assert batch.errors == [{"row": 5, "column": "Price", "reason": "Price is empty: every sale needs one."}]
    assert not SaleFact.objects.exists()


def test_all_or_nothing_imports_a_good_file_whole(db):
    progress = []
    batch = services.import_create(user=None, file=ContentFile(csv_bytes(GOOD), name="s.csv"), mapping=MAPPING,
                                   all_or_nothing=True, run_in_background=False)
    batch = services.import_run(batch.pk, on_progress=lambda b: progress.append(services.import_progress(b)))
    assert counts(batch) == ("done", 3, 3, 0, 0)
    assert progress == [(50, "Importing"), (100, "Importing")]


def many_rows(count: int) -> list[list[str]]:
    """`count` different good sales: more than one chunk when count > services.CHUNK_ROWS."""
    return [["Ford", "Focus", "2018", str(10_000 + i), "7000", "05/03/2024"] for i in range(count)]


def test_all_or_nothing_refuses_a_bad_row_beyond_the_first_chunk(db):
    rows = many_rows(services.CHUNK_ROWS + 50)
    rows[services.CHUNK_ROWS + 30][4] = "n/a"
    batch = run(csv_bytes(rows), all_or_nothing=True)
    assert counts(batch) == ("refused", services.CHUNK_ROWS + 50, 0, 0, 1)
    assert batch.errors == [{"row": services.CHUNK_ROWS + 32, "column": "Price", "reason": "“n/a” is not a price."}]
    assert not SaleFact.objects.exists()


def _fail_second_chunk():
    calls = {"inserts": 0}

    def wrapper(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "analytics_salefact"'):
            calls["inserts"] += 1
            if calls["inserts"] == 2:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return connection.execute_wrapper(wrapper)


def test_all_or_nothing_leaves_nothing_when_storing_fails_part_way(db):
    content = csv_bytes(many_rows(services.CHUNK_ROWS + 50))
    with _fail_second_chunk():
        batch = run(content, all_or_nothing=True)
    assert (batch.status, batch.imported) == ("failed", 0)
    assert "server closed the connection" in batch.error
    assert not SaleFact.objects.exists()


def test_without_all_or_nothing_the_chunks_stored_before_a_failure_stay(db):
    content = csv_bytes(many_rows(services.CHUNK_ROWS + 50))
    with _fail_second_chunk():
        batch = run(content)
    assert (batch.status, batch.imported) == ("failed", services.CHUNK_ROWS)
    assert SaleFact.objects.count() == services.CHUNK_ROWS


@pytest.mark.django_db(transaction=True)
def test_the_all_or_nothing_progress_bar_moves_while_the_rows_are_stored(db):
    """The rows are stored in one transaction: the progress page, another connection,
    sees none of it before the commit, yet its bar moves on from the checking half."""
    total = services.CHUNK_ROWS + 50
    batch = services.import_create(user=None, file=ContentFile(csv_bytes(many_rows(total)), name="s.csv"),
                                   mapping=MAPPING, all_or_nothing=True, run_in_background=False)
    seen = []

    def the_page_polls(running):
        if running.rows_done == running.rows_total and running.imported:  # storing, not checking

            def poll():
                try:
                    seen.append(services.import_progress(ImportBatch.objects.get(pk=running.pk)))
                finally:
                    connection.close()

            thread = threading.Thread(target=poll)
            thread.start()
            thread.join(timeout=30)

    assert services.import_run(batch.pk, on_progress=the_page_polls).status == "done"
    assert seen == [(50 + 50 * services.CHUNK_ROWS // total, "Importing"), (100, "Importing")]


def test_an_all_or_nothing_import_completes_without_a_cache_to_publish_its_progress_to(db, settings, tmp_path):
    # As the command runs it on a machine without the cache server: the progress bar is a nicety.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"unix://{tmp_path}/no-redis-here.sock"}}
    assert counts(run(csv_bytes(GOOD), all_or_nothing=True)) == ("done", 3, 3, 0, 0)


def test_a_cell_holding_a_nul_character_is_a_bad_cell_not_a_failed_import(db):
    # PostgreSQL refuses to store the NUL: before the reader caught it, the import failed there.
    rows = [GOOD[0], ["Ford", "Fo\x00cus", "2018", "45000", "7000", "05/03/2024"], GOOD[1]]
    batch = run(csv_bytes(rows))
    assert counts(batch) == ("done", 3, 2, 0, 1)
    assert batch.errors == [{"row": 3, "column": "Model", "reason": "The cell holds a NUL character: the file may be damaged. "
                                                                       "Save it again as CSV UTF-8 or XLSX."}]


# --- Normalisation ------------------------------------------------------------------------------------


def test_makes_and_models_are_spelt_one_way(db):
    rows = [["VW", "golf gti", "", "", "9000", ""], ["Volkswagen", "Golf GTI", "", "", "9100", ""],
            ["volkswagen", "GOLF GTI", "", "", "9200", ""], [" VOLKSWAGEN ", "golf  gti", "", "", "9300", ""]]
    run(csv_bytes(rows))
    assert set(SaleFact.objects.values_list("make", "model")) == {("Volkswagen", "Golf GTI")}
    assert SaleFact.objects.count() == 4


def test_kilometres_become_miles_from_the_mapping_a_column_or_the_cell(db):
    run(csv_bytes([["Ford", "Focus", "", "100,000", "7000", ""]]), {**MAPPING, "mileage_unit": "km"})
    assert SaleFact.objects.get().mileage == 62_137
    header = ["Make", "Model", "Price", "Odo", "Unit"]
    rows = [["Ford", "Ka", "3000", "16093", "km"], ["Ford", "Ka", "3100", "10000", "miles"], ["Ford", "Ka", "3200", "5", "furlongs"],
            ["Ford", "Ka", "3300", "32,187 km", "mi"]]
    mapping = {"make": "Make", "model": "Model", "price": "Price", "mileage": "Odo", "mileage_unit": {"column": "Unit"},
               "source": "BCA", "kind": "auction"}
    batch = run(csv_bytes(rows, header), mapping)
    assert batch.errors == [{"row": 4, "column": "Unit", "reason": "“furlongs” is not a mileage unit: use mi (miles) or km (kilometres)."}]
    assert sorted(SaleFact.objects.filter(model="Ka").values_list("mileage", flat=True)) == [10_000, 10_000, 20_000]


def test_a_sale_without_a_date_is_kept_with_no_date(db):
    run(csv_bytes([["Ford", "Focus", "2018", "45000", "7000", ""]]))
    fact = SaleFact.objects.get()
    assert (fact.sale_date, fact.year, fact.age_band, fact.mileage_band) == (None, 2018, "", "20-50k")


def test_age_and_mileage_bands_are_worked_out(db):
    run(csv_bytes([["Ford", "Focus", "2018", "50000", "7000", "05/03/2024"], ["Ford", "Ka", "", "", "3000", "05/03/2024"]]))
    assert sorted(SaleFact.objects.values_list("model", "age_band", "mileage_band")) == [("Focus", "4-6", "50-80k"), ("Ka", "", "")]


def test_attributes_are_read_through_the_vocabulary_and_unknown_words_left_empty(db):
    header = ["Make", "Model", "Price", "Fuel", "Gearbox", "Body", "Drive", "Condition", "Colour", "Region"]
    rows = [["Ford", "Kuga", "15000", "Plug-in Hybrid", "Auto", "Crossover", "4x4", "Very good", "SILVER", "north west"],
            ["Ford", "Ka", "3000", "steam", "", "", "", "", "", ""]]
    mapping = {"make": "Make", "model": "Model", "price": "Price", "fuel": "Fuel", "transmission": "Gearbox", "body_type": "Body",
               "drive": "Drive", "condition": "Condition", "colour": "Colour", "region": "Region", "source": "AutoTrader", "kind": "retail"}
    run(csv_bytes(rows, header), mapping)
    kuga, ka = SaleFact.objects.get(model="Kuga"), SaleFact.objects.get(model="Ka")
    assert (kuga.kind, kuga.fuel, kuga.transmission, kuga.body_type, kuga.drive, kuga.condition, kuga.colour, kuga.region) == (
        "retail", "plugin_hybrid", "automatic", "suv", "awd", "good", "Silver", "North West")
    assert (ka.fuel, ka.transmission) == ("", "")


@pytest.mark.parametrize("cell, expected", [
    ("2024-03-05", date(2024, 3, 5)), ("2024-03-05T14:30:00", date(2024, 3, 5)), ("05/03/2024", date(2024, 3, 5)),
    ("5/3/24", date(2024, 3, 5)), ("05-03-2024", date(2024, 3, 5)), ("05.03.2024", date(2024, 3, 5)),
    ("5 Mar 2024", date(2024, 3, 5)), ("5 March 2024", date(2024, 3, 5)), ("Mar 5, 2024", date(2024, 3, 5)),
    ("45356", date(2024, 3, 5)), (45356, date(2024, 3, 5)), (datetime(2024, 3, 5, 9, 0), date(2024, 3, 5)),
])
def test_dates_are_read_iso_day_first_by_name_or_as_excel_days(cell, expected):
    assert parse_date(cell) == expected


def test_a_date_format_reads_month_first_files(db):
    batch = run(csv_bytes([["Ford", "Focus", "", "", "7000", "03/25/2024"], ["Ford", "Ka", "", "", "3000", "25/03/2024"]]),
                {**MAPPING, "date_format": "%m/%d/%Y"})
    assert SaleFact.objects.get().sale_date == date(2024, 3, 25)
    assert batch.errors == [{"row": 3, "column": "Sale date", "reason": "“25/03/2024” does not match the date format of this import (%m/%d/%Y, as in 03/25/2024)."}]


def test_another_currency_needs_a_rate_and_is_converted_with_it(db):
    with pytest.raises(ValidationError) as refused:
        run(csv_bytes(GOOD[:1]), {**MAPPING, "currency": "EUR"})
    assert refused.value.message_dict == {"currency": [
        "Prices in EUR are not imported: I-fixit keeps prices in GBP. Give the rate (GBP for one EUR) to convert them."]}
    run(csv_bytes([["Ford", "Focus", "", "", "10,000", ""]]), {**MAPPING, "currency": "eur", "rate": "0.855"})
    assert SaleFact.objects.get().price == Decimal("8550.00")


def test_a_currency_column_converts_rows_it_has_a_rate_for_and_refuses_the_others(db):
    header = ["Make", "Model", "Price", "Ccy"]
    rows = [["Ford", "Focus", "7000", "GBP"], ["Ford", "Ka", "4000", "EUR"], ["Ford", "Puma", "20000", "USD"]]
    mapping = {"make": "Make", "model": "Model", "price": "Price", "currency": {"column": "Ccy"}, "rate": {"EUR": "0.85"},
               "source": "Autorola", "kind": "auction"}
    batch = run(csv_bytes(rows, header), mapping)
    assert batch.errors == [{"row": 4, "column": "Ccy", "reason":
                             "Prices in USD are not imported: I-fixit keeps prices in GBP, and the import has no rate for USD."}]
    assert sorted(SaleFact.objects.values_list("model", "price")) == [("Focus", Decimal("7000.00")), ("Ka", Decimal("3400.00"))]


# --- Files -----------------------------------------------------------------------------------------------


def test_an_xlsx_workbook_is_read_from_its_first_sheet_with_real_dates_and_numbers(db):
    rows = [["Ford", "Focus", 2018, 45000, 7250, date(2024, 3, 5)], [None] * 6,
            ["Kia", "Ceed", 2019.0, 30000.0, 8100.5, datetime(2024, 3, 6, 10, 30)], ["Kia", "Rio", 2017, 51000, -10, 45356]]
    batch = run(xlsx_bytes(rows), name="results.xlsx")
    assert counts(batch) == ("done", 3, 2, 0, 1)
    assert batch.errors == [{"row": 5, "column": "Price", "reason": "Price must be more than 0."}]
    assert sorted(SaleFact.objects.values_list("model", "year", "mileage", "price", "sale_date")) == [
        ("Ceed", 2019, 30000, Decimal("8100.50"), date(2024, 3, 6)), ("Focus", 2018, 45000, Decimal("7250.00"), date(2024, 3, 5))]


def test_a_sheet_whose_header_is_lower_down_keeps_the_sheet_s_row_numbers(db):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"], sheet["C3"], sheet["D3"] = "Make", "Model", "Price"
    sheet["B4"], sheet["C4"], sheet["D4"] = "Ford", "Ka", 3000
    sheet["B6"], sheet["C6"], sheet["D6"] = "Kia", "Rio", "n/a"
    content = io.BytesIO()
    book.save(content)
    batch = run(content.getvalue(), {"make": "Make", "model": "Model", "price": "Price", "source": "BCA", "kind": "auction"}, name="s.xlsx")
    assert counts(batch) == ("done", 2, 1, 0, 1)
    assert batch.errors == [{"row": 6, "column": "Price", "reason": "“n/a” is not a price."}]


@pytest.mark.parametrize("delimiter, encoding", [(";", "cp1252"), ("\t", "utf-8-sig"), ("|", "utf-8"), (",", "utf-16")])
def test_csv_is_read_in_any_delimiter_and_the_usual_encodings(db, delimiter, encoding):
    rows = [["Citroën", "C3", "2019", "30000", "£6,100", "06/03/2024"]]
    batch = run(csv_bytes(rows, delimiter=delimiter, encoding=encoding))
    assert counts(batch) == ("done", 1, 1, 0, 0)
    assert SaleFact.objects.get().make == "Citroen"


def test_a_file_that_cannot_be_read_is_refused_at_once(db):
    for content, name, message in [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", "This is an old Excel (.xls) workbook: save it as .xlsx or CSV and send that."),
        (b"", "empty.csv", "The file is empty."),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "The file is not an XLSX workbook that can be read: open it in Excel and save it again as .xlsx or CSV."),
    ]:
        with pytest.raises(ValidationError) as refused:
            run(content, name=name)
        assert refused.value.message_dict == {"file": [message]}
    assert not ImportBatch.objects.exists()


def test_the_mapping_is_checked_against_the_file(db):
    with pytest.raises(ValidationError) as refused:
        run(csv_bytes(GOOD), {"make": "Make", "price": "Hammer", "colour_code": "Paint", "mileage_unit": "leagues"})
    assert refused.value.message_dict == {
        "colour_code": [f"“colour_code” is not a field I-fixit imports (it imports {', '.join(mappings.FIELDS)})."],
        "price": ["The file has no column “Hammer”; its columns are “Make”, “Model”, “Year”, “Mileage”, “Price”, “Sale date”."],
        "model": ["Choose the column that holds the model: every sale needs one."],
        "source": ["Name the source (BCA, Manheim, AutoTrader, ...) or choose the column that holds it."],
        "mileage_unit": ["“leagues” is not a unit: use mi (miles) or km (kilometres)."],
        "kind": ["Say whether the file holds auction results (auction) or retail sales (retail)."],
    }


def test_a_mapping_is_suggested_from_common_column_names():
    header = ["Lot no", "Manufacturer", "Model", "Derivative", "Reg year", "Odometer (km)", "Guide price", "Hammer price (£)",
              "Date sold", "Auction house", "Colour"]
    assert services.mapping_suggest(header) == {
        "ref": "Lot no", "make": "Manufacturer", "model": "Model", "trim": "Derivative", "year": "Reg year",
        "mileage": "Odometer (km)", "mileage_unit": "km", "price": "Hammer price (£)", "sale_date": "Date sold",
        "source": {"column": "Auction house"}, "colour": "Colour",
    }
    assert services.mapping_suggest(["Marque", "Model", "Sold price", "Sale date", "Mileage", "Year"]) == {
        "make": "Marque", "model": "Model", "price": "Sold price", "sale_date": "Sale date", "mileage": "Mileage", "year": "Year"}


# --- The command ----------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path):
    def write(content: bytes, mapping: dict = MAPPING, name: str = "sales.csv"):
        data, mapping_path = tmp_path / name, tmp_path / "mapping.json"
        data.write_bytes(content)
        mapping_path.write_text(json.dumps(mapping))
        return str(data), str(mapping_path)

    return write


def test_the_command_imports_a_file_and_prints_the_summary_and_bad_rows(files, manager):
    data, mapping = files(csv_bytes(GOOD + [["Ford", "Focus", "2018", "45000", "abc", ""]]))
    out = io.StringIO()
    call_command("import_sales", data, mapping=mapping, user=manager.username, stdout=out)
    text = out.getvalue()
    assert "Imported: 4 rows, 3 imported, 0 already in the warehouse, 1 bad." in text
    assert "  5, Price: “abc” is not a price." in text
    assert "Importing: 100% (4 rows)" in text
    assert ImportBatch.objects.get().created_by == manager


def test_the_command_fails_when_the_file_is_refused(files, db):
    data, mapping = files(csv_bytes(GOOD + [["Ford", "Focus", "2018", "45000", "abc", ""]]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="Refused"):
        call_command("import_sales", data, mapping=mapping, all_or_nothing=True, stdout=out)
    assert "  5, Price: “abc” is not a price." in out.getvalue() and not SaleFact.objects.exists()


def test_the_command_fails_on_a_bad_mapping_an_unreadable_file_or_a_user_without_the_right(files, sales_user):
    data, mapping = files(csv_bytes(GOOD), {**MAPPING, "price": "Hammer"})
    err = io.StringIO()
    with pytest.raises(CommandError, match="was not imported"):
        call_command("import_sales", data, mapping=mapping, stdout=io.StringIO(), stderr=err)
    assert "price: The file has no column “Hammer”" in err.getvalue()
    data, mapping = files(b"\xd0\xcf\x11\xe0old", name="old.xls")
    with pytest.raises(CommandError):
        call_command("import_sales", data, mapping=mapping, stdout=io.StringIO(), stderr=io.StringIO())
    data, mapping = files(csv_bytes(GOOD))
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_sales", data, mapping=mapping, user=sales_user.username, stdout=io.StringIO())
    assert not ImportBatch.objects.exists()
