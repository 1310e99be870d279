"""REST API v1 of finance, the quote: a monthly payment and its totals, checked against an
instalment worked out apart, nothing saved; anonymous, a role without finance and bad figures."""

import pytest

from ifixit.finance.models import FinanceApplication
from ifixit.finance.tests.conftest import independent_monthly_payment, url

# --- Quote -------------------------------------------------------------------------------------------


def test_the_quote_uses_the_apr_as_an_effective_annual_rate(sales_api):
    # £10,000 over 48 months at 9.9% APR: 251.12 a month.
    response = sales_api.post(
        url("api_finance_quote"), {"cash_price": "10000", "term_months": 48, "apr": "9.9"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["monthly_payment"] == str(independent_monthly_payment(10000, 9.9, 48)) == "251.12"
    nominal = 0.099 / 12  # APR / 12 as the monthly rate: the mistake the effective rate avoids
    assert body["monthly_payment"] != f"{10000 * nominal / (1 - (1 + nominal) ** -48):.2f}"
    assert (body["amount_financed"], body["deposit"], body["part_exchange"], body["currency"]) == (
        "10000.00",
        "0.00",
        "0.00",
        "GBP",
    )
    assert body["total_repayable"] == "12053.76"  # 48 × 251.12
    assert body["total_payable"] == "12053.76"
    assert body["charge_for_credit"] == "2053.76"
    assert not FinanceApplication.objects.exists()


def test_the_quote_takes_off_the_deposit_and_part_exchange(sales_api):
    body = {"cash_price": "12000", "deposit": "1000", "part_exchange": "2000", "term_months": 48, "apr": "9.9"}
    quote = sales_api.post(url("api_finance_quote"), body, format="json").json()
    assert quote["amount_financed"] == "9000.00"
    assert quote["monthly_payment"] == str(independent_monthly_payment(9000, 9.9, 48)) == "226.01"
    assert quote["total_repayable"] == "10848.48"
    assert quote["total_payable"] == "13848.48"  # 1,000 + 2,000 + 48 × 226.01
    assert quote["charge_for_credit"] == "1848.48"


def test_interest_free_finance_is_the_amount_over_the_term(sales_api):
    body = {"cash_price": "9000", "term_months": 48, "apr": "0"}
    quote = sales_api.post(url("api_finance_quote"), body, format="json").json()
    assert (quote["monthly_payment"], quote["charge_for_credit"]) == ("187.50", "0.00")


@pytest.mark.parametrize(
    "changes, field, says",
    [
        ({"deposit": "10500"}, "deposit", "larger than the price"),
        ({"amount_financed": "5000"}, "amount_financed", "does not add up"),
        ({"term_months": 3}, "term_months", "between 6 and 84 months"),
        ({"term_months": 120}, "term_months", "between 6 and 84 months"),
        ({"apr": "60"}, "apr", "between 0% and 49.9%"),
        ({"cash_price": None}, "cash_price", "null"),
        # Not numbers a price can be, though Python's Decimal takes them.
        ({"cash_price": "NaN"}, "cash_price", "digits"),
        ({"apr": "Infinity"}, "apr", "digits"),
        ({"deposit": "1e100000"}, "deposit", "digits"),
    ],
)
def test_a_quote_of_bad_figures_says_what_is_wrong(sales_api, changes, field, says):
    body = {"cash_price": "10000", "deposit": "1000", "term_months": 48, "apr": "9.9", **changes}
    response = sales_api.post(url("api_finance_quote"), body, format="json")
    assert response.status_code == 400
    assert says in " ".join(response.json()[field]), response.json()
