"""A report's download, as the page and the API both offer it: the file made at once and sent
as an attachment, or, past REPORTS_INLINE_MAX_ROWS rows, a run that makes it in the
background (its page shows progress and the user is told when it is ready). The page and the
API only run the report and shape the answer: a redirect or a 202 for a run, the file
otherwise."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.reports import catalogue, renderers, services
from ifixit.reports.models import Run


@dataclass(frozen=True)
class Download:
    """Either `run`, making the file in the background, or the file itself."""

    run: Run | None = None
    content: bytes = b""
    file_name: str = ""
    content_type: str = ""

    def response(self) -> HttpResponse:
        """The file as an attachment under its name."""
        response = HttpResponse(self.content, content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.file_name}"'
        return response


def report_download(
    *,
    user: User,
    report: catalogue.Report,
    scope: catalogue.Scope,
    result: catalogue.Result,
    params: catalogue.Params,
    format: str,
    today: date,
) -> Download:
    """The file of a report the user has run (`catalogue.run` gave report, scope and
    result): rendered now, or queued as a run when it has too many rows to wait for."""
    if len(result.rows) > settings.REPORTS_INLINE_MAX_ROWS:
        run = services.report_generate(user=user, report_key=report.key, params=params, format=format)
        return Download(run=run)
    names = {location.pk: location.name for location in scope.locations}
    content = renderers.render(
        format,
        report=report,
        result=result,
        parameters=params.describe(report, today=today, location_names=names),
        generated_at=timezone.now(),
    )
    return Download(
        content=content,
        file_name=renderers.file_name(report, scope, format, today=today),
        content_type=renderers.FORMATS[format].content_type,
    )
