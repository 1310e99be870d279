"""What real listing files do that the importer must take as they mean it, each on a small CSV
written here and imported through `manage.py import_sales`: models in capitals, semi-automatic
gearboxes, identical lines, classic cars, one make for a whole file, make, model and trim in one
column; and the bad input (a price in words, a currency without a rate, a year in the future,
km beside miles), every bad row with its reason and nothing stored all or nothing."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from ifixit import vocabulary
from ifixit.analytics.models import ImportBatch, SaleFact

HEADER = ["model", "year", "price", "transmission", "mileage", "fuelType"]
# toyota.csv's shape: no make column, one make for the whole file.
TOYOTA = {
    "make": {"value": "Toyota"},
    "model": "model",
    "year": "year",
    "price": "price",
    "transmission": "transmission",
    "mileage": "mileage",
    "fuel": "fuelType",
    "source": "UK listings",
    "kind": "retail",
}


@pytest.fixture
def import_file(tmp_path, db):
    """Write the rows as a CSV and import them with the command: (its output, its error or None)."""

    def run(rows, mapping=TOYOTA, header=HEADER, *, all_or_nothing=False):
        data, mapping_path = tmp_path / "listings.csv", tmp_path / "mapping.json"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        data.write_text(out.getvalue(), encoding="utf-8")
        mapping_path.write_text(json.dumps(mapping))
        printed = io.StringIO()
        try:
            call_command(
                "import_sales",
                str(data),
                mapping=str(mapping_path),
                all_or_nothing=all_or_nothing,
                stdout=printed,
                stderr=io.StringIO(),
            )
        except CommandError as exc:
            return printed.getvalue(), exc
        return printed.getvalue(), None

    return run


def test_models_in_capitals_keep_their_spelling_and_a_shouted_model_is_tidied(import_file):
    rows = [
        ["IQ", "2012", "4500", "Manual", "50000", "Petrol"],
        ["GLA", "2016", "14000", "Automatic", "30000", "Diesel"],
        ["X5", "2015", "16000", "Automatic", "70000", "Diesel"],
        ["AYGO", "2018", "6000", "Manual", "20000", "Petrol"],
        [" Corolla", "2019", "15000", "Manual", "10000", "Petrol"],
        ["GT86", "2017", "16000", "Manual", "24000", "Petrol"],
    ]
    output, error = import_file(rows)

    assert error is None, output
    assert sorted(SaleFact.objects.values_list("model", flat=True)) == ["Aygo", "Corolla", "GLA", "GT86", "IQ", "X5"]
    assert set(SaleFact.objects.values_list("make", flat=True)) == {"Toyota"}
    # A model spelt in lower case is still capitalised word by word; a known one as its maker writes it.
    assert (vocabulary.model("gla class"), vocabulary.model("GLA CLASS"), vocabulary.model("rav4")) == (
        "Gla Class",
        "GLA Class",
        "RAV4",
    )


def test_semi_automatic_gearboxes_are_kept_apart_from_automatics(import_file):
    rows = [
        ["Yaris", "2019", "11000", "Semi-Auto", "9000", "Hybrid"],
        ["Yaris", "2019", "11500", "Automatic", "9000", "Hybrid"],
        ["Yaris", "2019", "10000", "Manual", "9000", "Petrol"],
        ["Yaris", "2018", "9000", "Other", "9000", "Petrol"],
    ]
    output, error = import_file(rows)

    assert error is None, output
    assert sorted(SaleFact.objects.values_list("price", "transmission")) == [
        (9000, ""),
        (10000, "manual"),
        (11000, "semi_auto"),
        (11500, "automatic"),
    ]


def test_identical_lines_are_separate_sales_and_the_output_says_how_many(import_file):
    line = ["Corolla", "2019", "17960", "Manual", "4500", "Petrol"]
    rows = [line, ["Corolla", "2019", "15991", "Manual", "10", "Petrol"], line, line]
    output, error = import_file(rows)

    assert error is None, output
    assert "Imported: 4 rows, 4 imported, 0 already in the warehouse, 0 bad." in output
    assert (
        "2 of the imported rows repeat an earlier line of the file exactly: each is kept as a sale of its own" in output
    )
    assert SaleFact.objects.filter(price=17960).count() == 3
    # The same file again adds nothing, its repeated lines included.
    output, error = import_file(rows)
    assert "Imported: 4 rows, 0 imported, 4 already in the warehouse, 0 bad." in output
    assert "repeat an earlier line" not in output
    assert SaleFact.objects.count() == 4


def test_classic_cars_from_1900_are_taken(import_file):
    rows = [
        ["Crown", "1900", "45000", "Manual", "", "Petrol"],
        ["Crown", "1949", "30000", "Manual", "80000", "Petrol"],
        ["Crown", "1899", "50000", "Manual", "", "Petrol"],
    ]
    output, error = import_file(rows)

    assert error is None, output
    assert sorted(SaleFact.objects.values_list("year", flat=True)) == [1900, 1949]
    assert "  4, year: Year 1899 is before 1900 (classic cars from 1900 are taken)." in output


def test_make_model_and_trim_can_come_from_one_column(import_file):
    header = ["name", "year", "selling_price", "km_driven", "seller_type"]
    mapping = {
        "make_model": "name",
        "year": "year",
        "price": "selling_price",
        "mileage": "km_driven",
        "mileage_unit": "km",
        "source": {"column": "seller_type"},
        "currency": "INR",
        "rate": "0.01",
        "kind": "retail",
    }
    rows = [
        ["Maruti Swift Dzire VDI", "2014", "450000", "145500", "Individual"],
        ["Land Rover Discovery Sport TD4 SE", "2019", "4500000", "21000", "Dealer"],
        ["Mercedes-Benz B Class B180", "2014", "1450000", "27800", "Dealer"],
        ["Maruti", "2014", "1000", "1", "Dealer"],
    ]
    output, error = import_file(rows, mapping, header)

    assert error is None, output
    assert sorted(SaleFact.objects.values_list("make", "model", "trim", "price", "mileage", "source")) == [
        ("Land Rover", "Discovery", "Sport TD4 SE", 45000, 13049, "Dealer"),
        ("Maruti", "Swift", "Dzire VDI", 4500, 90410, "Individual"),
        ("Mercedes-Benz", "B", "Class B180", 14500, 17274, "Dealer"),
    ]
    assert "  5, name: “Maruti” names no model after its make." in output


def test_a_make_column_beside_make_model_is_refused_before_anything_is_read(import_file):
    _, error = import_file(
        [["Maruti Swift VDI", "2014"]],
        {"make_model": "name", "make": "name", "price": "year", "source": "x", "kind": "retail"},
        ["name", "year"],
    )
    assert "was not imported" in str(error)
    assert not ImportBatch.objects.exists()


BAD_ROWS = [
    ["Yaris", "2019", "11000", "Manual", "9000", "Petrol", "GBP"],
    ["Yaris", "2019", "eleven thousand", "Manual", "9000", "Petrol", "GBP"],
    ["Yaris", "2019", "11000", "Manual", "9000", "Petrol", "JPY"],
    ["Yaris", "2999", "11000", "Manual", "9000", "Petrol", "GBP"],
    ["Yaris", "2019", "11000", "Manual", "16093 km", "Petrol", "GBP"],
    ["Yaris", "2019", "11000", "Manual", "10000 miles", "Petrol", "GBP"],
]
BAD_MAPPING = {**TOYOTA, "currency": {"column": "currency"}, "rate": {"EUR": "0.86"}}


def test_bad_rows_are_each_listed_with_their_reason_and_all_or_nothing_stores_none(import_file):
    output, error = import_file(BAD_ROWS, BAD_MAPPING, HEADER + ["currency"], all_or_nothing=True)

    assert "Refused" in str(error)
    assert not SaleFact.objects.exists()
    assert "Refused (bad rows, nothing imported): 6 rows, 0 imported, 0 already in the warehouse, 3 bad." in output
    assert "  3, price: “eleven thousand” is not a price." in output
    assert (
        "  4, currency: Prices in JPY are not imported: I-fixit keeps prices in GBP, "
        "and the import has no rate for JPY."
    ) in output
    assert "  5, year: Year 2999 is after" in output
    # A cell that writes its unit is read in it: km on one row and miles on another are both
    # good rows, stored in miles, so they are not among the bad.
    assert "  6," not in output and "  7," not in output


def test_without_all_or_nothing_the_good_rows_are_stored_and_km_become_miles(import_file):
    output, error = import_file(BAD_ROWS, BAD_MAPPING, HEADER + ["currency"])

    assert error is None, output
    assert "Imported: 6 rows, 3 imported, 0 already in the warehouse, 3 bad." in output
    assert sorted(SaleFact.objects.values_list("mileage", flat=True)) == [9000, 10000, 10000]


def test_a_year_after_the_sale_is_refused(import_file):
    header = HEADER + ["sold"]
    mapping = {**TOYOTA, "sale_date": "sold"}
    rows = [
        ["Yaris", "2021", "11000", "Manual", "9000", "Petrol", "2020-06-01"],
        ["Yaris", "2023", "11000", "Manual", "9000", "Petrol", "2020-06-01"],
    ]
    output, error = import_file(rows, mapping, header)

    assert error is None, output
    assert SaleFact.objects.get().year == 2021  # a model year ahead of the sale is how cars are sold
    assert "  3, year: Year 2023 is after the sale (01/06/2020)" in output
