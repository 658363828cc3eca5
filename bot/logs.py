"""Logging set-up with a filter that redacts every secret, whatever library logs it."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

REDACTED = "[redacted]"
# Shapes of secrets we may not know the value of (e.g. a token in a URL a library logs).
_SHAPES = re.compile(
    r"xox[abpors]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|(?<=://)[^/\s:@]*:[^/\s@]+(?=@)"
)


class RedactingFilter(logging.Filter):
    """Replaces known secret values and token-shaped text in each record's final message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _SHAPES.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not drop or crash logging
            message = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = self.redact(message)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.msg, record.args = clean, None
        return True


def setup_logging(secrets: Iterable[str], level: int = logging.INFO) -> RedactingFilter:
    """Root logging to stderr; the filter sits on the handler so every library passes it."""
    redactor = RedactingFilter(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return redactor
