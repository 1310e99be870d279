"""Celery tasks of customer care: they load and call a service; sends retry transient
failures with the notification centre's backoff."""

from celery import shared_task

from ifixit.crm import services
from ifixit.notifications.errors import DeliveryError
from ifixit.notifications.tasks import MAX_RETRIES, backoff


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def send_communication(self, communication_id: int) -> None:
    try:
        services.communication_deliver(communication_id=communication_id, final_attempt=self.request.retries >= self.max_retries)
    except DeliveryError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_survey(survey_id: int) -> None:
    services.survey_send(survey_id=survey_id)


@shared_task
def send_due_surveys() -> int:
    """Queued by beat: invites the customers whose survey day has come."""
    survey_ids = services.surveys_due()
    for survey_id in survey_ids:
        send_survey.delay(survey_id)
    return len(survey_ids)


@shared_task
def remind_due_follow_ups() -> int:
    """Queued by beat every few minutes: tells assignees their follow-ups are due."""
    return services.follow_ups_remind_due()


@shared_task
def requeue_stuck_communications() -> int:
    communication_ids = services.communications_requeue_stuck()
    for communication_id in communication_ids:
        send_communication.delay(communication_id)
    return len(communication_ids)
