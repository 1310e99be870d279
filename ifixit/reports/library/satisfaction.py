"""Customer satisfaction: the surveys answered in the period, by location and salesperson.

Read from `crm.selectors.satisfaction_figures`, the figures of the satisfaction page, so
NPS means the same here and there. That selector takes one location at a time: it is
asked once per chosen location (a handful of grouped queries each, whatever the number
of answers).
"""

from decimal import ROUND_HALF_UP, Decimal

from ifixit.crm.selectors import Score, satisfaction_figures
from ifixit.reports.catalogue import DECIMAL, INT, LOCATIONS, PERIOD, Chart, Column, Result, Scope, register


def _nps(promoters: int, detractors: int, answers: int) -> int | None:
    # The same arithmetic as crm.selectors.Score.nps, over a total of several scores.
    return Score(label="", answers=answers, promoters=promoters, detractors=detractors, average_satisfaction=None).nps


@register(
    key="satisfaction",
    title="Customer satisfaction",
    description="Survey answers received in the period, by location and salesperson: how many, promoters, "
    "passives and detractors, Net Promoter Score and average satisfaction (1 to 5).",
    category="Customers",
    accepts=(PERIOD, LOCATIONS),
    permission="crm.view_survey",
    default_period="last_3_months",
)
def satisfaction_report(scope: Scope) -> Result:
    rows, chart_rows = [], []
    satisfaction_points = Decimal(0)  # average × answers, summed: the group's average without another query
    for location in scope.locations:
        figures = satisfaction_figures(
            user=scope.user, location_id=location.pk, date_from=scope.start, date_to=scope.end
        )
        if not figures.overall.answers:
            continue
        for score in figures.by_salesperson:
            rows.append(
                {
                    "location": location.name,
                    "salesperson": score.label,
                    "answers": score.answers,
                    "promoters": score.promoters,
                    "passives": score.passives,
                    "detractors": score.detractors,
                    "nps": score.nps,
                    "average_satisfaction": score.average_satisfaction,
                }
            )
        chart_rows.append({"location": location.name, "nps": figures.overall.nps})
        if figures.overall.average_satisfaction is not None:
            satisfaction_points += figures.overall.average_satisfaction * figures.overall.answers
    result = Result(
        columns=[
            Column("location", "Location"),
            Column("salesperson", "Salesperson"),
            Column("answers", "Answers", INT, total=True),
            Column("promoters", "Promoters (9–10)", INT, total=True),
            Column("passives", "Passives (7–8)", INT, total=True),
            Column("detractors", "Detractors (0–6)", INT, total=True),
            Column("nps", "NPS", INT),
            Column("average_satisfaction", "Average satisfaction", DECIMAL),
        ],
        rows=rows,
    )
    totals = result.totals
    if totals and totals["answers"]:
        result.extra_totals["nps"] = _nps(totals["promoters"], totals["detractors"], totals["answers"])
        average = satisfaction_points / totals["answers"]
        result.extra_totals["average_satisfaction"] = average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        result.chart = Chart(title="NPS by location", label_key="location", value_key="nps")
        result.chart_rows = chart_rows
    return result
