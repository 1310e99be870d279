"""Every write on customers, their communication log, follow-ups and surveys.

Pages, the API, the SMS webhook and the tasks all call these. Each validates fully
before it writes, inside one transaction, so bad input leaves nothing half-written;
sending happens after commit, claimed with a conditional update so a retried or
duplicated task never sends twice.

One module per sub-domain: `customers` (the record, duplicates, sharing, merging),
`sales` (what a sale means to customer care), `communications` (the log, sending,
SMS replies), `follow_ups` (reminders and the rules that make them), `surveys` (and
`survey_links`, the personal link), with `access` holding the checks they share.
Callers import from here: `from ifixit.crm import services; services.customer_create(...)`.
"""

from ifixit.crm.services.communications import (
    MAX_ATTEMPTS,
    SMS_MAX_LENGTH,
    START_WORDS,
    STOP_WORDS,
    Outbound,
    communication_deliver,
    communication_log,
    communication_send,
    communications_requeue_stuck,
    sms_inbound,
)
from ifixit.crm.services.customers import (
    CUSTOMER_FIELDS,
    DuplicateCustomer,
    customer_create,
    customer_merge,
    customer_share_with_location,
    customer_update,
    normalise_email,
    normalise_postcode,
)
from ifixit.crm.services.follow_ups import (
    FOLLOW_UP_HOUR,
    RULE_FIELDS,
    follow_up_cancel,
    follow_up_complete,
    follow_up_create,
    follow_up_rule_delete,
    follow_up_rule_save,
    follow_up_snooze,
    follow_ups_from_rules,
    follow_ups_remind_due,
)
from ifixit.crm.services.sales import after_sale, sale_unwound
from ifixit.crm.services.survey_links import SURVEY_LINK, survey_link, survey_token
from ifixit.crm.services.surveys import (
    SurveyClosed,
    location_set_survey_delay,
    survey_answer,
    survey_for_token,
    survey_schedule,
    survey_send,
    surveys_due,
)

__all__ = [
    "CUSTOMER_FIELDS",
    "FOLLOW_UP_HOUR",
    "MAX_ATTEMPTS",
    "RULE_FIELDS",
    "SMS_MAX_LENGTH",
    "START_WORDS",
    "STOP_WORDS",
    "SURVEY_LINK",
    "DuplicateCustomer",
    "Outbound",
    "SurveyClosed",
    "after_sale",
    "communication_deliver",
    "communication_log",
    "communication_send",
    "communications_requeue_stuck",
    "customer_create",
    "customer_merge",
    "customer_share_with_location",
    "customer_update",
    "follow_up_cancel",
    "follow_up_complete",
    "follow_up_create",
    "follow_up_rule_delete",
    "follow_up_rule_save",
    "follow_up_snooze",
    "follow_ups_from_rules",
    "follow_ups_remind_due",
    "location_set_survey_delay",
    "normalise_email",
    "normalise_postcode",
    "sale_unwound",
    "sms_inbound",
    "survey_answer",
    "survey_for_token",
    "survey_link",
    "survey_schedule",
    "survey_send",
    "survey_token",
    "surveys_due",
]
