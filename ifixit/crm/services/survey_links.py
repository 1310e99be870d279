"""A survey's personal link: its token, derived from the site's secret and the survey's
nonce (never stored), its address, and its place in the invitation when that is sent."""

import base64
import hashlib
import hmac

from django.conf import settings
from django.urls import reverse

from ifixit.crm.models import Communication, Survey


def survey_link(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('survey_answer', args=[token])}"


# Where the personal link goes in a survey invitation. The log keeps the text with this
# placeholder: the token itself is minted when the message is sent and never stored.
SURVEY_LINK = "[your personal survey link]"


def survey_token(survey: Survey) -> str:
    """The survey's link token: derived from the site's secret and the survey's random
    nonce, so a resend carries the same working link while the database keeps only the
    nonce and the token's hash (neither is the link)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"survey-link:{survey.pk}:{survey.token_nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _with_survey_link(communication: Communication) -> str:
    """The text to send: for a survey invitation, with its personal link in place."""
    if SURVEY_LINK not in communication.body:
        return communication.body
    survey = Survey.objects.filter(invitation=communication).first()
    if survey is None or not survey.token_nonce:
        return communication.body
    return communication.body.replace(SURVEY_LINK, survey_link(survey_token(survey)))
