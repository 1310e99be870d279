"""Every periodic task of the system, declared in code.

`manage.py sync_schedules` loads them into django-celery-beat's tables (beat reads
its schedule from the database), so a deploy or `make run` brings the schedule in
line with the code while operators can still pause an entry in the admin.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Every:
    name: str
    task: str
    seconds: int
    description: str


SCHEDULES: list[Every] = [
    Every(
        name="job-health heartbeat",
        task="ifixit.dashboard.tasks.beat_heartbeat",
        seconds=60,
        description="Proves beat, the broker and a worker are all alive (integration dashboard).",
    ),
    Every(
        name="operations alerts",
        task="ifixit.dashboard.tasks.check_ops_alerts",
        seconds=60,
        description="Tells the admins, once per episode and again at the all-clear, of a feed down, work waiting, a task failing repeatedly or a missed schedule.",
    ),
    Every(
        name="job-probe pruning",
        task="ifixit.dashboard.tasks.prune_job_probes",
        seconds=24 * 60 * 60,
        description="Forgets job probes older than a fortnight.",
    ),
    Every(
        name="queue sampling",
        task="ifixit.jobs.tasks.sample_queues",
        seconds=60,
        description="Records the queue's depth and the outbox's backlog for the job pages' chart.",
    ),
    Every(
        name="job history pruning",
        task="ifixit.jobs.tasks.prune_job_history",
        seconds=24 * 60 * 60,
        description="Forgets job runs and published outbox messages older than JOBS_HISTORY_DAYS (dead letters wait to be resolved).",
    ),
    Every(
        name="audit-log pruning",
        task="ifixit.accounts.tasks.prune_audit_log",
        seconds=24 * 60 * 60,
        description="Forgets audit-log rows older than AUDIT_KEEP_DAYS.",
    ),
    Every(
        name="repair-time alerts",
        task="ifixit.inventory.tasks.check_repair_times",
        seconds=60 * 60,
        description="Cars in fixing past their location's at-risk and overdue thresholds: alert once, then weekly.",
    ),
    Every(
        name="notification digests",
        task="ifixit.notifications.tasks.send_due_digests",
        seconds=5 * 60,
        description="Sends each user's daily digest once their digest time has passed in their time zone.",
    ),
    Every(
        name="webhook inbox sweep",
        task="ifixit.auctions.tasks.sweep_webhook_inboxes",
        seconds=60,
        description="Stores pushed auction events that waited for a missing one, fetching it from the platform.",
    ),
    Every(
        name="watched-lot reminders",
        task="ifixit.auctions.tasks.send_watch_reminders",
        seconds=60,
        description="Reminds buyers, once each, that a lot they watch goes live or ends within their chosen minutes.",
    ),
    Every(
        name="notification sweep",
        task="ifixit.notifications.tasks.requeue_stuck_deliveries",
        seconds=5 * 60,
        description="Queues again the emails and SMS that never reached a worker or whose worker died mid-send.",
    ),
    Every(
        name="market warehouse",
        task="ifixit.analytics.tasks.refresh_warehouse",
        seconds=15 * 60,
        description="Own sales and sold lots into the warehouse; rollups of the months new facts touched, resuming where stopped.",
    ),
    Every(
        name="value model training",
        task="ifixit.analytics.tasks.train_value_model",
        seconds=24 * 60 * 60,
        description="Trains the value model on the warehouse; the new version is promoted only if it is not worse on held-out sales.",
    ),
    Every(
        name="scheduled reports",
        task="ifixit.reports.tasks.queue_due_reports",
        seconds=60,
        description="Queues one run for each report schedule whose time has come (in its own time zone).",
    ),
    Every(
        name="report run sweep",
        task="ifixit.reports.tasks.requeue_stuck_runs",
        seconds=5 * 60,
        description="Queues again the report runs whose worker died mid-run or that never reached a worker.",
    ),
    Every(
        name="finance waiting too long",
        task="ifixit.finance.tasks.flag_waiting_applications",
        seconds=15 * 60,
        description="Tells the salesperson, once per state, that a finance application waits longer than its lender usually takes.",
    ),
    Every(
        name="follow-up reminders",
        task="ifixit.crm.tasks.remind_due_follow_ups",
        seconds=5 * 60,
        description="Tells each assignee, once per due time, that a customer follow-up is due.",
    ),
    Every(
        name="satisfaction surveys",
        task="ifixit.crm.tasks.send_due_surveys",
        seconds=15 * 60,
        description="Invites customers to the survey once their sale's survey day has come.",
    ),
    Every(
        name="customer message sweep",
        task="ifixit.crm.tasks.requeue_stuck_communications",
        seconds=5 * 60,
        description="Queues again customer emails and SMS that never reached a worker or whose worker died mid-send.",
    ),
]
