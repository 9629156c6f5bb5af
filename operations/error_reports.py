"""Error reports to Sentry (optional: only when SENTRY_DSN is set), with nothing in
them that could identify a client or say anything about their health.

The SDK is told to send no personal data, no request bodies and no local variables;
`scrub_event` then rebuilds every event from an allow-list rather than deleting
known-bad keys, so a field a later SDK adds is dropped, not sent. What is kept is
what a developer needs: the exception's type, the stack (files, functions, lines and
the code around them), the view, the URL path (secret tokens redacted), the method,
the user's id, tags and the release. Exception and log messages keep their words,
with anything quoted, any email address, phone number, long number or token
replaced: Django's and PostgreSQL's messages quote the values they refuse.

Imported by settings.py, so it imports neither models nor apps.
"""

import re
from typing import Any

import sentry_sdk

from core.logs import redact as redact_secret_paths

EMAIL = re.compile(r"[^\s@'\"<>(),;:]+@[^\s@'\"<>(),;:]+")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’")
# PostgreSQL's "Key (email)=(sam@example.com) already exists."
KEY_VALUE = re.compile(r"=\([^)]*\)")
PHONE = re.compile(r"\+?\d[\d ()./-]{6,}\d")
# Signed-link and reset tokens: long, with digits (constraint names have none).
TOKEN = re.compile(r"\b(?=[A-Za-z_\-:]*\d)[A-Za-z0-9_\-:]{20,}\b")
REDACTED = "[redacted]"

KEEP_TOP = {
    "event_id",
    "timestamp",
    "platform",
    "level",
    "logger",
    "transaction",
    "transaction_info",
    "server_name",
    "release",
    "environment",
    "dist",
    "tags",
    "fingerprint",
    "sdk",
    "type",
    "start_timestamp",
    "spans",
}
KEEP_FRAME = {
    "filename",
    "abs_path",
    "function",
    "module",
    "lineno",
    "colno",
    "in_app",
    "context_line",
    "pre_context",
    "post_context",
}
KEEP_CONTEXTS = {"runtime", "os", "trace"}
KEEP_HEADERS = {"user-agent", "content-type", "accept", "host"}


def redact_text(text: str) -> str:
    text = redact_secret_paths(text)
    for pattern in (KEY_VALUE, QUOTED, EMAIL, PHONE, TOKEN):
        text = pattern.sub(REDACTED, text)
    return text


def _frames(stacktrace: dict | None) -> dict | None:
    if not stacktrace:
        return None
    return {
        "frames": [
            {key: frame[key] for key in KEEP_FRAME if key in frame}
            for frame in stacktrace.get("frames", [])
        ]
    }


def _exception(exception: dict) -> dict:
    values = []
    for value in exception.get("values", []):
        kept = {
            "type": value.get("type"),
            "module": value.get("module"),
            "value": redact_text(str(value.get("value") or "")),
            "mechanism": {
                key: value["mechanism"][key]
                for key in ("type", "handled")
                if key in (value.get("mechanism") or {})
            },
        }
        if stack := _frames(value.get("stacktrace")):
            kept["stacktrace"] = stack
        values.append(kept)
    return {"values": values}


def _request(request: dict) -> dict:
    url = str(request.get("url") or "")
    headers = request.get("headers") or {}
    return {
        # The path only: a query string holds search terms and dates.
        "url": redact_secret_paths(url.split("?", 1)[0]),
        "method": request.get("method"),
        "headers": {
            name: value
            for name, value in headers.items()
            if name.lower() in KEEP_HEADERS
        },
    }


def _breadcrumb(crumb: dict) -> dict:
    # Messages and data of breadcrumbs hold SQL with its parameters and log lines.
    return {
        key: crumb[key]
        for key in ("type", "category", "level", "timestamp")
        if key in crumb
    }


def scrub_event(event: dict[str, Any], hint: dict | None = None) -> dict[str, Any]:
    """The event as it may leave: an allow-listed copy, redacted (before_send)."""
    clean = {key: event[key] for key in KEEP_TOP if key in event}
    if "exception" in event:
        clean["exception"] = _exception(event["exception"])
    if "threads" in event:
        clean["threads"] = {
            "values": [
                {
                    "id": thread.get("id"),
                    "stacktrace": _frames(thread.get("stacktrace")),
                }
                for thread in event["threads"].get("values", [])
            ]
        }
    if "request" in event:
        clean["request"] = _request(event["request"])
    if "user" in event and event["user"].get("id") is not None:
        clean["user"] = {"id": str(event["user"]["id"])}
    if "message" in event:
        clean["message"] = redact_text(str(event["message"]))
    if "logentry" in event:
        # The format string is code; its arguments are data.
        clean["logentry"] = {
            "message": redact_text(str(event["logentry"].get("message") or ""))
        }
    if "breadcrumbs" in event:
        clean["breadcrumbs"] = {
            "values": [
                _breadcrumb(crumb) for crumb in event["breadcrumbs"].get("values", [])
            ]
        }
    if "contexts" in event:
        clean["contexts"] = {
            name: value
            for name, value in event["contexts"].items()
            if name in KEEP_CONTEXTS
        }
    if "transaction" in clean:
        clean["transaction"] = redact_secret_paths(str(clean["transaction"]))
    if "spans" in clean:
        clean["spans"] = [
            {
                key: span[key]
                for key in (
                    "span_id",
                    "parent_span_id",
                    "trace_id",
                    "op",
                    "start_timestamp",
                    "timestamp",
                    "status",
                )
                if key in span
            }
            for span in clean["spans"]
        ]
    return clean


def sentry_init(*, dsn: str, environment: str, release: str, traces: float) -> None:
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # send_default_pii stays at its default, off (the option is deprecated).
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
