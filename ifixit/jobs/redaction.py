"""What an admin may read of a job: its error, traceback and arguments without secrets or
customer data. A task's arguments are ids by design (a task loads what it needs); text is
shown as its length, and anything shaped like an email address, a phone number, a card or
a token, or following a secret-sounding key, is blanked in errors and tracebacks."""

import re

REDACTED = "[redacted]"
SECRET_KEY_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie", "key")

_PATTERNS = [
    # key=value / key: value / "key": "value" after a secret-sounding key
    re.compile(r"(?i)\b((?:%s)[\w-]*)(['\"]?\s*[:=]\s*['\"]?)([^\s'\",;&]+)" % "|".join(SECRET_KEY_WORDS)),
    re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),  # email addresses
    re.compile(r"(?<![\w.])\+?\d[\d ()-]{8,}\d(?![\w.])"),  # phone and card numbers
    re.compile(r"\b[A-Za-z0-9_-]{32,}\b"),  # long opaque strings: tokens, keys, signed links
]


def redact_text(text: str, limit: int | None = None) -> str:
    text = text or ""
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub(REDACTED, text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def redact_value(value, key: str = ""):
    """An argument as it may be shown: ids, numbers, flags and dates as they are, text by its
    length, secret-named keys blanked, containers element by element."""
    if key and any(word in key.lower() for word in SECRET_KEY_WORDS):
        return REDACTED
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if re.fullmatch(r"[0-9a-fA-F-]{32,36}|\d{4}-\d{2}-\d{2}[T ]?[\d:.+Z-]*", value):  # a uuid, a date or time
            return value
        return f"‹text, {len(value)} characters›"
    if isinstance(value, dict):
        return {str(k): redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return f"‹{type(value).__name__}›"
