"""Logging filters: no secret from a URL reaches a log line.

Signed email links (/m/<token>/) and password-reset links carry their secret in the
path, and Django logs the path of every 4xx and 5xx answer ("Not Found: /m/...").
"""

import logging
import re

SECRET_PATHS = re.compile(r"(/m/(?:unsubscribe/)?|/accounts/reset/[^/\s]+/)[^/\s'\"]+")


def redact(text: str) -> str:
    return SECRET_PATHS.sub(r"\1[redacted]", text)


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
