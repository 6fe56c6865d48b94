"""The service's Prometheus metrics: what each process counts as it works. GET /metrics shows them
(api/views/metrics.py, which adds what is read at scrape time: open and overdue escalations from the
database, the depth of each task queue from the broker).

Several processes on one host (uvicorn --workers N, Celery's pool): set PROMETHEUS_MULTIPROC_DIR to an
empty folder shared by them, emptied before they start (prometheus-client's multiprocess mode); each
process writes its values there and /metrics adds them up. Without it, /metrics shows the one process
that answers. Labels carry route patterns, statuses, event types, rule and queue names: never an id, a
name or anything else of a person.
"""

import os
import re
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics, multiprocess

disable_created_metrics()  # type: ignore[no-untyped-call]  # a `_created` series beside every counter doubles the page for nothing here
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if MULTIPROCESS:  # prometheus-client writes there from the first figure on: the folder must exist
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

# A phone on a mobile network sees tens to hundreds of milliseconds; the buckets straddle the targets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "ooh_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "ooh_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by route pattern and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
WEBSOCKETS_OPEN = Gauge(
    "ooh_websocket_connections",
    "Websockets open now, by route (incident, feed).",
    ["route"],
    multiprocess_mode="livesum",
)
WEBSOCKETS_OPENED = Counter("ooh_websocket_connections_opened", "Websockets accepted, by route.", ["route"])
WEBSOCKETS_CLOSED = Counter(
    "ooh_websocket_connections_closed", "Websockets closed, by route and close code.", ["route", "code"]
)
WEBSOCKETS_REFUSED = Counter(
    "ooh_websocket_connections_refused",
    "Websockets refused at once by admission control, by close code (4503 busy, 4429 the user's limit) "
    "and why (full, burst, lagging, user_limit).",
    ["code", "why"],
)
HTTP_READS_SHED = Counter(
    "ooh_http_reads_shed",
    "GET requests answered 503 busy at once: the process was serving and queueing all it may.",
)
EVENTS_PUBLISHED = Counter(
    "ooh_events_published",
    "Events handed to the channel layer after their transaction committed, by event type.",
    ["event"],
)
EVENTS_PUBLISH_FAILED = Counter(
    "ooh_events_publish_failed",
    "Publications the channel layer refused (the sockets catch up from the database), by event type.",
    ["event"],
)
EVENTS_DELIVERED = Counter(
    "ooh_events_delivered",
    "Event messages sent down a websocket (live or replayed), by route.",
    ["route"],
)
ESCALATIONS_RAISED = Counter(
    "ooh_escalations_raised", "Escalations raised (level 1) by this deployment's workers, by rule.", ["rule"]
)
ESCALATIONS_CLIMBED = Counter(
    "ooh_escalations_climbed", "Escalations climbed to a higher level, by rule.", ["rule"]
)
TASKS_RUN = Counter("ooh_tasks", "Celery tasks finished, by task name and state.", ["task", "state"])


_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db")


def forget_dead_processes() -> list[int]:
    """Multiprocess mode: a process killed outright never says it died, so its live gauges (its open
    sockets) would be counted for ever. Before each scrape, the files of processes gone from this host
    are removed (prometheus-client's mark_process_dead); its counters are kept, as they should be."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return []
    dead = set()
    for path in Path(directory).glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match and not _alive(int(match.group(1))):
            dead.add(int(match.group(1)))
    for pid in sorted(dead):
        multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]  # untyped upstream
    return sorted(dead)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that number: not ours to forget
    return True
