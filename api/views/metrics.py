"""GET /metrics: Prometheus' text format, for a scraper holding the deployment's metrics token.

What each process counts (ooh/metrics.py: requests, websockets, events, escalations, tasks), added up
over the host's processes in prometheus-client's multiprocess mode; and what is read here at each scrape:
the escalations open and overdue (the database is the record) and each task queue's depth (the broker).
"""

import logging
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from alerts.models import Escalation, EscalationStatus
from ooh.access import policy
from ooh.celery import app as celery_app
from ooh.metrics import MULTIPROCESS, forget_dead_processes

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


class EscalationCollector(Collector):
    """Open escalations by rule and level, and those whose next level is overdue (nobody acknowledged
    them and the climb has not happened: the ladder is stuck), from the database at each scrape."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        opened = GaugeMetricFamily(
            "ooh_escalations_open",
            "Escalations open now (not acknowledged or resolved).",
            labels=["rule", "level"],
        )
        overdue = GaugeMetricFamily(
            "ooh_escalations_overdue",
            "Open escalations past the time they should have climbed to the next level.",
            labels=["rule"],
        )
        open_rows = Escalation.objects.filter(status=EscalationStatus.OPEN)
        for row in open_rows.values("rule", "level").annotate(n=Count("id")).order_by("rule", "level"):
            opened.add_metric([row["rule"], str(row["level"])], row["n"])
        late = open_rows.filter(next_level_at__lt=self.now).values("rule").annotate(n=Count("id"))
        for row in late.order_by("rule"):
            overdue.add_metric([row["rule"]], row["n"])
        yield opened
        yield overdue


class QueueCollector(Collector):
    """Each Celery queue's depth, from the broker; ooh_broker_up 0 when the broker does not answer."""

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("ooh_task_queue_depth", "Tasks waiting in each queue.", labels=["queue"])
        up = GaugeMetricFamily("ooh_broker_up", "1 if the broker answered this scrape, 0 if not.")
        try:
            with celery_app.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
                channel = connection.default_channel
                for queue in settings.CELERY_TASK_QUEUES:
                    # kombu's virtual channels (Redis, the embedded filesystem) count a queue as they declare
                    # it, and declaring an empty one changes nothing (a passive declaration would refuse it:
                    # on Redis an empty queue has no key). The stub says less than kombu does.
                    _, messages, _ = channel.queue_declare(queue=queue.name)  # type: ignore[attr-defined]
                    depth.add_metric([queue.name], messages)
        except Exception:  # a broker outage is a figure here, not an error page
            logger.warning("metrics: the broker did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield depth


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404  # not configured: as if there were no such page
    if not policy.may_scrape_metrics(_bearer(request)):
        logger.warning("metrics: a scrape without the metrics token was refused")
        refused = JsonResponse(
            {
                "type": "client_error",
                "errors": [
                    {
                        "code": "not_authenticated",
                        "detail": "GET /metrics needs the metrics token: Authorization: Bearer <token>.",
                        "attr": None,
                    }
                ],
            },
            status=401,
        )
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    counted = REGISTRY  # this process's own figures
    if MULTIPROCESS:  # every process's on this host, added up
        forget_dead_processes()
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]  # the library's, untyped
    read_now = CollectorRegistry()
    read_now.register(EscalationCollector(timezone.now()))
    read_now.register(QueueCollector())
    # Two registries, one exposition: the text format is a sequence of metric families.
    return HttpResponse(
        generate_latest(counted) + generate_latest(read_now), content_type=CONTENT_TYPE_LATEST
    )
