"""The demo gives the scheduled-reports pages something to show."""

from io import StringIO

from django.core.management import call_command

from ifixit.reports.models import Run, Schedule


def test_the_demo_has_schedules_with_a_history_of_files(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command("seed_demo", cars=150, seed=7, stdout=out)
    assert "Reports: 3 report schedules with 10 past runs." in out.getvalue()
    assert Schedule.objects.filter(is_active=True, next_run_at__isnull=False).count() == 2
    assert Schedule.objects.filter(is_active=False).count() == 1
    sent = Run.objects.filter(status=Run.Status.SENT)
    assert sent.count() == 9 and all(run.file and run.file.size == run.file_size and run.recipients for run in sent)
    failed = Run.objects.get(status=Run.Status.FAILED)
    assert "451" in failed.error and failed.schedule.name == "Finance mix for the bank"
