"""Celery tasks of customer care: they load and call a service; sends retry transient
failures with the notification centre's backoff. A failure the provider will never get over,
or a fault of ours, is recorded on the message as failed and not retried."""

from celery import shared_task

from ifixit.crm import services
from ifixit.notifications.errors import DeliveryError
from ifixit.notifications.tasks import MAX_RETRIES, backoff


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def send_communication(self, communication_id: int) -> None:
    """Queued through the outbox when an email or SMS to a customer is logged, and by the sweep
    below. Safe twice: the send is claimed by a conditional update from queued or retrying to
    sending, so a second run (or a twin at once) finds it claimed or sent and sends nothing."""
    try:
        services.communication_deliver(
            communication_id=communication_id, final_attempt=self.request.retries >= self.max_retries
        )
    except DeliveryError as exc:  # raised only for a transient failure, after recording it
        raise self.retry(exc=exc, countdown=backoff(self.request.retries))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_survey(survey_id: int) -> None:
    """Queued through the outbox for a sale whose survey day has come, and by the sweep below.
    Safe twice: the survey's move from scheduled to sent is the claim, in the transaction that
    logs the invitation, so a second run finds it sent and sends nothing."""
    services.survey_send(survey_id=survey_id)


@shared_task
def send_due_surveys() -> int:
    """Queued by beat every 15 minutes: invites the customers whose survey day has come. Safe
    twice: it only queues send_survey, which is safe twice."""
    survey_ids = services.surveys_due()
    for survey_id in survey_ids:
        # Not through the outbox: a survey stays scheduled until sent, so a publish lost here
        # is found again by the next sweep.
        send_survey.delay(survey_id)
    return len(survey_ids)


@shared_task
def remind_due_follow_ups() -> int:
    """Queued by beat every few minutes: tells assignees their follow-ups are due. Safe twice:
    each follow-up is claimed by a conditional update of reminded_for to its due time, in the
    transaction that writes the reminder (which has a dedupe key per follow-up and due time)."""
    return services.follow_ups_remind_due()


@shared_task
def requeue_stuck_communications() -> int:
    """Queued by beat every 5 minutes: queues again the messages that never reached a worker or
    whose worker died mid-send. Safe twice: it only queues send_communication, whose claim
    lets one run send."""
    communication_ids = services.communications_requeue_stuck()
    for communication_id in communication_ids:
        # Not through the outbox: this is the sweep that re-finds stuck messages, and a publish
        # lost here is found again on its next round.
        send_communication.delay(communication_id)
    return len(communication_ids)
