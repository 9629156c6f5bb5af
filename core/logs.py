"""Logging filters: no secret from a URL reaches a log line.

Signed email links (/m/<token>/), the client portal's sign-in links
(/my/link/<token>/), password-reset links, private calendar feeds
(/feeds/<token>.ics), deposit pay links (/pay/deposit/<token>/), the online
booking's done page (/book/done/<token>/) and the texts' short links (/s/<code>/)
carry their secret in the path, and Django logs the path of every 4xx and 5xx
answer ("Not Found: /m/..."); gunicorn's access log, every path.
"""

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

SECRET_PATHS = re.compile(
    r"(/m/(?:unsubscribe/|waitlist/)?|/my/link/|/accounts/reset/[^/\s]+/|/feeds/"
    r"|/pay/deposit/|/book/done/|(?<![\w-])/s/)"
    r"[^/\s'\"?]+"
)


def redact(text: str) -> str:
    return SECRET_PATHS.sub(r"\1[redacted]", text)


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class RedactingAccessLog(GunicornLogger):
    """gunicorn's logger, with the access log's secret paths redacted: the request
    line, path and referrer of /m/<token>/ and /feeds/<token>.ics (Procfile)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
