"""Logging set-up with a filter that redacts every secret, whatever library logs it."""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType

REDACTED = "[redacted]"
# Shapes of secrets we may not know the value of (e.g. a token in a URL a library logs).
_SHAPES = re.compile(
    r"xox[abpors]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|(?<=://)[^/\s:@]*:[^/\s@]+(?=@)"
)


def one_line(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> str:
    """An exception as one line: its kind and where it was raised (the innermost frame of our
    own code, else the innermost), never its text, which may carry a customer's data."""
    kind, _, tb = exc_info
    frames = traceback.extract_tb(tb)
    ours = [f for f in frames if f"{os.sep}bot{os.sep}" in f.filename]
    if not frames:
        return kind.__name__
    frame = (ours or frames)[-1]
    return f"{kind.__name__} at {os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}"


class RedactingFilter(logging.Filter):
    """Replaces known secret values and token-shaped text in each record's final message, and
    a traceback by one line (`one_line`): no log holds a traceback or an exception's text."""

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
        if record.exc_info and record.exc_info[0] is not None:
            message = f"{message} [{one_line(record.exc_info)}]"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        record.msg, record.args = self.redact(message), None
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
