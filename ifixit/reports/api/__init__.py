"""Reports REST API v1: the catalogue, a report run on screen (JSON) or as a file, files
made in the background, and scheduled reports with their history; thin adapters over
reports.catalogue (what a report is and takes), reports.selectors (reads) and
reports.services (writes), the same ones the pages call.

Every report checks its own permission (403) and its parameters (`catalogue.check_params`:
a parameter the report does not take, a range that ends before it starts, a location the
user may not see), which become field-keyed 400s in `ifixit.api.exception_handler`.
Schedules and runs are scoped by the selectors: another user's answers 404 on every
endpoint, before the body is read.

Values in rows, totals and chart points are JSON-safe and typed by their column's kind:
money as a decimal string with two places ("1234.50"), percentages as a decimal string
fraction with four places ("0.1250" is 12.5%), counts and days as integers (a fraction,
should one come, as a decimal string, as in the CSV), other decimals as strings, dates and
times as ISO 8601, nothing as null.
"""

from ifixit.reports.api.catalogue import (
    ERRORS,
    CatalogueApi,
    ChoiceOutputSerializer,
    FormatOutputSerializer,
    ReportOutputSerializer,
    known_report,
    report_for,
)
from ifixit.reports.api.parameters import (
    LocationIdsField,
    ParamsInputSerializer,
    ReportParamsField,
    ReportParamsSerializer,
    ReportQuerySerializer,
    params_of,
)
from ifixit.reports.api.results import (
    ChartOutputSerializer,
    ChartPointOutputSerializer,
    ColumnOutputSerializer,
    ParameterOutputSerializer,
    ReportResultApi,
    json_value,
    result_body,
)
from ifixit.reports.api.runs import (
    QUEUED,
    FileNegotiation,
    ReportFileApi,
    ReportGenerateApi,
    RunDetailApi,
    RunOutputSerializer,
    run_response,
)
from ifixit.reports.api.schedules import (
    SCHEDULES,
    CanViewSchedules,
    EmailListField,
    RecipientOutputSerializer,
    ScheduleDetailApi,
    ScheduleInputSerializer,
    ScheduleListApi,
    ScheduleOutputSerializer,
    SchedulePauseApi,
    ScheduleResumeApi,
    ScheduleRunsApi,
    ScheduleSendNowApi,
    schedule_fields,
    schedule_response,
    visible_schedule,
)

__all__ = [
    "ERRORS",
    "QUEUED",
    "SCHEDULES",
    "CanViewSchedules",
    "CatalogueApi",
    "ChartOutputSerializer",
    "ChartPointOutputSerializer",
    "ChoiceOutputSerializer",
    "ColumnOutputSerializer",
    "EmailListField",
    "FileNegotiation",
    "FormatOutputSerializer",
    "LocationIdsField",
    "ParameterOutputSerializer",
    "ParamsInputSerializer",
    "RecipientOutputSerializer",
    "ReportFileApi",
    "ReportGenerateApi",
    "ReportOutputSerializer",
    "ReportParamsField",
    "ReportParamsSerializer",
    "ReportQuerySerializer",
    "ReportResultApi",
    "RunDetailApi",
    "RunOutputSerializer",
    "ScheduleDetailApi",
    "ScheduleInputSerializer",
    "ScheduleListApi",
    "ScheduleOutputSerializer",
    "SchedulePauseApi",
    "ScheduleResumeApi",
    "ScheduleRunsApi",
    "ScheduleSendNowApi",
    "json_value",
    "known_report",
    "params_of",
    "report_for",
    "result_body",
    "run_response",
    "schedule_fields",
    "schedule_response",
    "visible_schedule",
]
