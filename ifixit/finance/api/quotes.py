"""The figures of a finance agreement as the API takes them, the totals worked out from them, and
the quote: the monthly payment and totals of a set of figures, checked, nothing saved."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.finance import calculator, services
from ifixit.finance.api.shared import ERRORS, FINANCE, currency
from ifixit.finance.models import MAX_APR, MAX_TERM_MONTHS, MIN_TERM_MONTHS, FinanceApplication
from ifixit.inventory.api import MONEY

APR = {"max_digits": 4, "decimal_places": 1}


AMOUNT_FINANCED_HELP = "Leave out (or null) to finance the balance: cash price − deposit − part-exchange."


TERM_RANGE = f"The term must be between {MIN_TERM_MONTHS} and {MAX_TERM_MONTHS} months."


class FiguresInputSerializer(serializers.Serializer):
    """The figures of a finance agreement, shaped only: they are checked together
    (`services.check_figures`), and what is wrong is said field by field."""

    cash_price = serializers.DecimalField(**MONEY)
    deposit = serializers.DecimalField(**MONEY, required=False, default=0)
    part_exchange = serializers.DecimalField(
        **MONEY, required=False, default=0, help_text="The value of the customer's car taken in against this one."
    )
    amount_financed = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, default=None, help_text=AMOUNT_FINANCED_HELP
    )
    term_months = serializers.IntegerField(
        min_value=MIN_TERM_MONTHS,
        max_value=MAX_TERM_MONTHS,
        error_messages=dict.fromkeys(("min_value", "max_value"), TERM_RANGE),
    )
    apr = serializers.DecimalField(**APR, help_text=f"Annual percentage rate, 0 to {MAX_APR}, to one decimal place.")


class QuoteTotalField(serializers.DecimalField):
    """A total of an application's figures (a `calculator.Quote` property), worked out
    from the stored figures as the customer was quoted them."""

    def __init__(self, total: str, **kwargs):
        self.total = total
        super().__init__(**MONEY, source="*", read_only=True, **kwargs)

    def to_representation(self, application: FinanceApplication) -> str:
        quote = calculator.Quote(
            cash_price=application.cash_price,
            deposit=application.deposit,
            part_exchange=application.part_exchange,
            amount_financed=application.amount_financed,
            apr=application.apr,
            term_months=application.term_months,
            monthly_payment=application.monthly_payment,
        )
        return super().to_representation(getattr(quote, self.total))


# --- Quote -------------------------------------------------------------------------------------------


class QuoteApi(APIView):
    permission_classes = FINANCE

    class InputSerializer(FiguresInputSerializer):
        class Meta:
            ref_name = "FinanceQuoteFigures"

    class OutputSerializer(serializers.Serializer):
        cash_price = serializers.DecimalField(**MONEY)
        deposit = serializers.DecimalField(**MONEY)
        part_exchange = serializers.DecimalField(**MONEY)
        amount_financed = serializers.DecimalField(**MONEY)
        term_months = serializers.IntegerField()
        apr = serializers.DecimalField(**APR)
        monthly_payment = serializers.DecimalField(**MONEY)
        total_repayable = serializers.DecimalField(**MONEY, help_text="Every instalment: what the lender is paid.")
        total_payable = serializers.DecimalField(**MONEY, help_text="Deposit, part-exchange and every instalment.")
        charge_for_credit = serializers.DecimalField(**MONEY, help_text="Total repayable less the amount financed.")
        currency = serializers.SerializerMethodField(help_text="ISO 4217 code of every amount.")

        class Meta:
            ref_name = "FinanceQuote"

        def get_currency(self, quote) -> str:
            return currency()

    @extend_schema(
        operation_id="finance_quote",
        tags=["finance"],
        summary="The monthly payment and totals of a finance agreement, checked (nothing is saved)",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: FIELD_ERRORS, 401: ERRORS[401], 403: ERRORS[403]},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quote = services.check_figures(**serializer.validated_data)
        return Response(self.OutputSerializer(quote).data)
