"""The CSV, XLSX and PDF files of a report's result, read back with csv, openpyxl and pypdf."""

import csv
import io
import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from ifixit.inventory.models import Phase, Sale
from ifixit.reports import renderers
from ifixit.reports.catalogue import (
    DATE,
    DAYS,
    DECIMAL,
    INT,
    MONEY,
    PERCENT,
    Chart,
    Column,
    Params,
    Report,
    Result,
    run,
)
from ifixit.testing.factories import CarFactory

REPORT = Report(
    key="test",
    title="Sales and gross profit",
    description="",
    accepts=frozenset(),
    build=lambda scope: None,
    category="Sales",
)
PARAMETERS = [("Period", "01 Nov 2026 to 30 Nov 2026"), ("Locations", "North Yard, South Yard")]
GENERATED = timezone.make_aware(datetime(2026, 11, 24, 14, 5))  # Europe/London, as settings say

SALES_COLUMNS = [
    Column("sold_on", "Sold", DATE),
    Column("car", "Car"),
    Column("price", "Price", MONEY, total=True),
    Column("profit", "Gross profit", MONEY, total=True),
    Column("margin", "Margin", PERCENT),
    Column("days", "Days to sell", DAYS),
]


def sales_result(count: int = 3, **extra) -> Result:
    rows = [
        {
            "sold_on": date(2026, 11, 1) + timedelta(days=i % 30),
            "car": f"Car {i:04d} Ford Focus",
            "price": Decimal("1234.50") + i,
            "profit": Decimal("-80.00") if i == 1 else Decimal("154.31"),
            "margin": Decimal("0.125"),
            "days": 21 + i,
        }
        for i in range(count)
    ]
    return Result(columns=SALES_COLUMNS, rows=rows, **extra)


def render(fmt: str, result: Result, report: Report = REPORT) -> bytes:
    return renderers.render(fmt, report=report, result=result, parameters=PARAMETERS, generated_at=GENERATED)


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


# --- Formats ----------------------------------------------------------------------------------


def test_it_names_each_format_with_its_content_type_and_extension():
    assert renderers.FORMATS["csv"].content_type.startswith("text/csv")
    assert renderers.FORMATS["xlsx"].content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert renderers.FORMATS["pdf"].content_type == "application/pdf"
    assert {fmt: f.extension for fmt, f in renderers.FORMATS.items()} == {"csv": "csv", "xlsx": "xlsx", "pdf": "pdf"}


def test_it_refuses_an_unknown_format():
    with pytest.raises(ValidationError) as error:
        render("docx", sales_result())
    assert "docx" in str(error.value)


# --- CSV --------------------------------------------------------------------------------------


def test_it_writes_csv_with_a_byte_order_mark_and_raw_values():
    data = render("csv", sales_result())
    assert data.startswith("\ufeff".encode())
    header, first, second, third, totals = read_csv(data)
    assert header == ["Sold", "Car", "Price (GBP)", "Gross profit (GBP)", "Margin (%)", "Days to sell"]
    assert first == ["2026-11-01", "Car 0000 Ford Focus", "1234.50", "154.31", "12.5", "21"]
    assert second[3] == "-80.00"
    assert third[2] == "1236.50"
    assert totals == ["Total", "", "3706.50", "228.62", "", ""]


def test_it_shows_ratio_totals_in_csv_and_leaves_empty_values_empty():
    result = sales_result(1, extra_totals={"margin": Decimal("0.1249")})
    result.rows[0]["margin"] = None
    _, row, totals = read_csv(render("csv", result))
    assert row[4] == ""
    assert totals[4] == "12.5"


def test_it_writes_no_totals_row_for_a_report_without_totals():
    columns = [Column("car", "Car"), Column("days", "Days", DAYS)]
    rows = read_csv(render("csv", Result(columns=columns, rows=[{"car": "Focus", "days": 3}])))
    assert rows == [["Car", "Days"], ["Focus", "3"]]


def test_it_keeps_spreadsheets_from_running_text_as_a_formula():
    result = sales_result(1)
    result.rows[0]["car"] = '=HYPERLINK("http://evil.example","Click")'
    _, row, _ = read_csv(render("csv", result))
    assert row[1] == '\'=HYPERLINK("http://evil.example","Click")'


# --- XLSX -------------------------------------------------------------------------------------


def load_sheet(data: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return workbook, workbook.active


def header_row_of(sheet) -> int:
    return next(row[0].row for row in sheet.iter_rows() if row[0].value == "Sold")


def test_it_writes_a_workbook_with_a_heading_and_typed_cells():
    workbook, sheet = load_sheet(render("xlsx", sales_result(3, notes=["Only the first rows are shown."])))
    assert workbook.sheetnames == ["Sales and gross profit"]
    assert sheet["A1"].value == "Sales and gross profit"
    assert sheet["A1"].font.b
    assert [sheet["A2"].value, sheet["B2"].value] == ["Period", "01 Nov 2026 to 30 Nov 2026"]
    assert [sheet["A3"].value, sheet["B3"].value] == ["Locations", "North Yard, South Yard"]
    assert [sheet["A4"].value, sheet["B4"].value] == ["Generated", "24 Nov 2026 14:05"]

    top = header_row_of(sheet)
    assert [c.value for c in sheet[top]] == ["Sold", "Car", "Price", "Gross profit", "Margin", "Days to sell"]
    assert all(c.font.b for c in sheet[top])
    assert sheet.freeze_panes == f"A{top + 1}"
    assert sheet.auto_filter.ref == f"A{top}:F{top + 3}"

    sold, car, price, _profit, margin, days = sheet[top + 1]
    assert sold.value == datetime(2026, 11, 1) and sold.number_format == "dd/mm/yyyy"
    assert car.value == "Car 0000 Ford Focus"
    assert price.value == 1234.5 and price.data_type == "n" and price.number_format == '"£"#,##0.00'
    assert margin.value == 0.125 and margin.number_format == "0.0%"
    assert days.value == 21 and days.number_format == "#,##0"
    assert sheet.cell(top + 2, 4).value == -80

    totals = sheet[top + 4]
    assert [c.value for c in totals] == ["Total", None, 3706.5, 228.62, None, None]
    assert totals[0].font.b and totals[2].font.b
    assert totals[2].number_format == '"£"#,##0.00'
    assert sheet.cell(top + 6, 1).value == "Only the first rows are shown."


def test_it_sizes_columns_to_their_values():
    result = sales_result(2)
    result.rows[0]["car"] = "2019 Volkswagen Golf 1.5 TSI Match Edition"
    _, sheet = load_sheet(render("xlsx", result))
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width > 8


def test_it_keeps_formula_like_text_as_text_in_the_workbook():
    result = sales_result(1)
    result.rows[0]["car"] = "=1+1"
    _, sheet = load_sheet(render("xlsx", result))
    cell = sheet.cell(header_row_of(sheet) + 1, 2)
    assert cell.value == "=1+1"
    assert cell.data_type == "s"


def test_it_names_the_sheet_within_excels_rules():
    long = Report(
        key="t",
        title="Stock: bought/sold [by make] over thirty-one characters",
        description="",
        accepts=frozenset(),
        build=lambda scope: None,
        category="Stock",
    )
    workbook, _ = load_sheet(render("xlsx", sales_result(1), report=long))
    assert workbook.sheetnames == ["Stock  bought sold  by make  ov"]


def test_it_writes_counts_as_whole_numbers_with_thousands():
    columns = [Column("make", "Make"), Column("cars", "Cars", INT, total=True)]
    result = Result(columns=columns, rows=[{"make": "Ford", "cars": 1200}, {"make": "Kia", "cars": 34}])
    _, sheet = load_sheet(render("xlsx", result))
    top = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Make")
    assert sheet.cell(top + 1, 2).value == 1200
    assert sheet.cell(top + 1, 2).number_format == "#,##0"
    assert [c.value for c in sheet[top + 3]] == ["Total", 1234]


def test_it_keeps_the_places_of_decimals_and_never_cuts_a_fraction_of_a_day():
    columns = [
        Column("make", "Make"),
        Column("median", "Median days", DECIMAL),
        Column("average", "Average days", DAYS),
    ]
    result = Result(
        columns=columns,
        rows=[
            {"make": "Ford", "median": Decimal("14.5"), "average": Decimal("12.5")},
            {"make": "Kia", "median": Decimal("4.23"), "average": 7},
        ],
    )
    assert read_csv(render("csv", result))[1:] == [["Ford", "14.5", "12.5"], ["Kia", "4.23", "7"]]

    _, sheet = load_sheet(render("xlsx", result))
    top = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Make")
    median, average = sheet.cell(top + 1, 2), sheet.cell(top + 1, 3)
    assert (median.value, median.number_format) == (14.5, "#,##0.0#")
    assert average.value == 12.5

    lines = read_pdf_pages(render("pdf", result))[0].splitlines()
    assert {"14.5", "12.5", "4.23", "7"} <= set(lines)


# --- PDF --------------------------------------------------------------------------------------


def test_it_prints_a_small_report_on_one_branded_page():
    data = render("pdf", sales_result(3))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert reader.metadata.title == "Sales and gross profit"
    text = reader.pages[0].extract_text()
    for expected in (
        "I-fixit",
        "Sales and gross profit",
        "Period",
        "01 Nov 2026 to 30 Nov 2026",
        "North Yard, South Yard",
        "Generated",
        "24 Nov 2026 14:05",
        "Page 1 of 1",
        "Car 0000 Ford Focus",
        "01/11/2026",
        "£1,234.50",
        "12.5%",
        "Total",
        "£3,706.50",
    ):
        assert expected in text, expected
    assert "−£80.00" in text


def test_it_pages_a_long_table_with_the_header_on_every_page():
    count = 400
    data = render("pdf", sales_result(count))
    pages = read_pdf_pages(data)
    rows_on = [len(re.findall(r"Car \d{4} Ford Focus", text)) for text in pages]
    per_page = renderers.pdf_rows_per_page(SALES_COLUMNS)

    assert 50 < per_page < 70  # one line of 7.5 pt text per row on portrait A4
    assert sum(rows_on) == count
    assert 0 < rows_on[0] < per_page  # the title and parameters come first
    assert len(pages) == 1 + math.ceil((count - rows_on[0]) / per_page)
    # Every page but the last is full; the last has the rest and the totals row.
    assert rows_on[1:-1] == [per_page] * (len(pages) - 2)
    assert "Total" in pages[-1] and "Total" not in pages[-2]
    for number, text in enumerate(pages, start=1):
        assert "Sold" in text and "Gross profit" in text  # the header row, repeated
        assert "I-fixit" in text
        assert f"Page {number} of {len(pages)}" in text
    assert re.search(r"Car 0399 Ford Focus", pages[-1])


def test_it_never_leaves_the_totals_row_alone_on_a_page():
    per_page = renderers.pdf_rows_per_page(SALES_COLUMNS)
    first_page = len(re.findall(r"Car \d{4}", read_pdf_pages(render("pdf", sales_result(200)))[0]))
    # Exactly fills the second page, so the totals row would start a third one.
    pages = read_pdf_pages(render("pdf", sales_result(first_page + per_page)))
    assert len(pages) == 3
    assert len(re.findall(r"Car \d{4}", pages[2])) == 1
    assert "Total" in pages[2]


def test_it_turns_the_page_to_landscape_for_a_wide_table():
    wide = [Column(f"c{i}", f"Column {i}", INT) for i in range(8)]
    narrow = wide[:7]
    for columns, landscape in ((wide, True), (narrow, False)):
        result = Result(columns=columns, rows=[{c.key: 1 for c in columns}])
        page = PdfReader(io.BytesIO(render("pdf", result))).pages[0]
        assert (page.mediabox.width > page.mediabox.height) is landscape


def test_it_cuts_text_too_long_for_its_column():
    result = sales_result(2)
    result.rows[0]["car"] = "Ford Focus " + "with a very long description " * 20 + "END"
    text = read_pdf_pages(render("pdf", result))[0]
    assert "Ford Focus with a very long" in text
    assert "…" in text
    assert "END" not in text


def test_it_draws_the_chart_of_the_result():
    result = sales_result(
        3,
        chart=Chart(title="Gross profit by location", label_key="location", value_key="profit"),
        chart_rows=[
            {"location": "North Yard", "profit": Decimal(1500)},
            {"location": "South Yard", "profit": Decimal(-200)},
        ],
    )
    text = read_pdf_pages(render("pdf", result))[0]
    assert "Gross profit by location" in text
    assert "North Yard" in text and "South Yard" in text
    assert "£1,500" in text  # the value axis, in the currency


def test_it_draws_a_line_chart_over_many_points():
    result = sales_result(90, chart=Chart(title="Price per day", label_key="sold_on", value_key="price", kind="line"))
    text = read_pdf_pages(render("pdf", result))[0]
    assert "Price per day" in text
    assert "2026-11-01" in text  # the first category label


def test_it_says_so_when_there_are_no_rows():
    empty = Result(columns=SALES_COLUMNS, rows=[])
    assert "No rows for these parameters." in read_pdf_pages(render("pdf", empty))[0]
    assert read_csv(render("csv", empty)) == [
        ["Sold", "Car", "Price (GBP)", "Gross profit (GBP)", "Margin (%)", "Days to sell"],
        ["Total", "", "0.00", "0.00", "", ""],
    ]
    _, sheet = load_sheet(render("xlsx", empty))
    assert sheet.cell(header_row_of(sheet) + 1, 1).value == "Total"


def test_it_prints_the_notes_under_the_table():
    text = read_pdf_pages(render("pdf", sales_result(2, notes=["Only the first 50,000 rows are shown."])))[-1]
    assert "Only the first 50,000 rows are shown." in text


# --- Currency ---------------------------------------------------------------------------------


def test_it_shows_euros_when_the_group_trades_in_euros(settings):
    settings.CURRENCY = "EUR"
    result = sales_result(2)

    header, first, *_ = read_csv(render("csv", result))
    assert header[2] == "Price (EUR)" and first[2] == "1234.50"

    _, sheet = load_sheet(render("xlsx", result))
    price = sheet.cell(header_row_of(sheet) + 1, 3)
    assert price.number_format == '"€"#,##0.00'

    text = read_pdf_pages(render("pdf", result))[0]
    assert "€1,234.50" in text and "£" not in text


# --- A real report ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_renders_the_sales_report_from_the_catalogue(manager, north):
    car = CarFactory(
        location=north,
        phase=Phase.SOLD,
        make="Ford",
        model="Fiesta",
        year=2019,
        purchase_price=Decimal(6000),
        auction_fees=Decimal(300),
        transport_cost=Decimal(100),
    )
    Sale.objects.create(car=car, sold_on=date(2026, 11, 3), price=Decimal(8000), location=north)
    report, _, result = run(
        "sales",
        Params(start=date(2026, 11, 1), end=date(2026, 11, 30)),
        user=manager,
        today=date(2026, 11, 24),
    )
    kwargs = {"report": report, "result": result, "parameters": PARAMETERS, "generated_at": GENERATED}

    rows = read_csv(renderers.render("csv", **kwargs))
    assert rows[1][:3] == ["2026-11-03", "North Yard", "2019 Ford Fiesta"]
    assert rows[1][-2:] == ["1600.00", "20.0"]
    assert rows[-1][0] == "Total"

    _, sheet = load_sheet(renderers.render("xlsx", **kwargs))
    top = header_row_of(sheet)
    assert sheet.cell(top + 1, 11).value == 1600  # gross profit
    assert sheet.cell(top + 2, 12).value == 0.2  # margin of the totals

    pages = read_pdf_pages(renderers.render("pdf", **kwargs))
    assert len(pages) == 1
    assert "Gross profit by location" in pages[0] and "£1,600.00" in pages[0]
