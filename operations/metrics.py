"""Prometheus metrics (prometheus-client): request latency by view, from every web
process, and the state of the outbox and the backups, read from the database at
each scrape (so every web host answers the same).

With several gunicorn workers on a host, set PROMETHEUS_MULTIPROC_DIR to an empty
folder of that host before they start: the workers then share their latency counts
through it (prometheus-client's multiprocess mode) and any worker's /metrics has
them all.
"""

import os
import time
from collections.abc import Iterator

from django.db.models import Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from messaging.models import MessageStatus, OutboundMessage
from operations.selectors import backup_status

# Not registered anywhere at import: each scrape builds its registry (see registry()).
REQUEST_LATENCY = Histogram(
    "smp_http_request_duration_seconds",
    "Time to answer a request, by view (Django's view name), method and status class.",
    ["view", "method", "status"],
    registry=None,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class RequestLatencyMiddleware:
    """Outermost, so the time covers every other middleware too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The view's name, never the path: paths hold ids and tokens.
        view = match.view_name if match is not None else "<unresolved>"
        REQUEST_LATENCY.labels(
            view=view,
            method=request.method if request.method in KNOWN_METHODS else "other",
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class DatabaseCollector(Collector):
    """The outbox and the backups, as the database says at this scrape."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        waiting = Q(status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
        due = OutboundMessage.objects.filter(waiting, due_at__lte=now).aggregate(
            oldest=Min("due_at")
        )
        depth = OutboundMessage.objects.filter(waiting, due_at__lte=now).count()
        failed = OutboundMessage.objects.filter(status=MessageStatus.FAILED).count()
        yield GaugeMetricFamily(
            "smp_outbox_due_messages",
            "Messages due now and not yet sent (the outbox's queue depth).",
            value=depth,
        )
        oldest = due["oldest"]
        yield GaugeMetricFamily(
            "smp_outbox_oldest_due_age_seconds",
            "How long the oldest message due has waited (0 when none is due).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        yield GaugeMetricFamily(
            "smp_outbox_failed_messages",
            "Messages that failed after every attempt, waiting for staff.",
            value=failed,
        )
        backups = backup_status()
        age = backups.age
        yield GaugeMetricFamily(
            "smp_backup_last_success_age_seconds",
            "Seconds since the last successful backup (+Inf when there is none).",
            value=age.total_seconds() if age is not None else float("inf"),
        )
        yield GaugeMetricFamily(
            "smp_backup_last_run_failed",
            "1 when the most recent backup run failed.",
            value=1.0 if backups.last_run_failed else 0.0,
        )


def registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_LATENCY)
        ProcessCollector(registry=registry)
    registry.register(DatabaseCollector())
    return registry
