"""ooh's ASGI application with one of its patches of library internals switched off, for the A/B
benchmark in tests/benchmarks/test_asgi_layer.py (uvicorn runs it as
tests.benchmarks.asgi_layer_app:application; nothing in ooh reads these switches).

OOH_ASGI_LAYER_VARIANT picks what runs:

- shipped: ooh.asgi.application exactly as deployed;
- stock_handler: HTTP through Django's own ASGIHandler instead of ooh.asgi.OneThreadASGIHandler;
- no_freeze: the heap frozen at start-up given back to the collector (gc.unfreeze), as if ooh.asgi had
  not called gc.freeze();
- stock_dispatch: the consumers use Channels' AsyncConsumer.dispatch instead of their own override.

A variant whose patch is no longer in the code refuses to start, so a benchmark never compares the
shipped code with itself under another name.

GET /__bench/gc answers what the collector did in this process so far (collections and pause times per
generation), timed by a gc callback installed before anything is imported; the benchmark reads it before
and after its timed window. Every other request goes to ooh.
"""

import gc
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

VARIANTS = ("shipped", "stock_handler", "no_freeze", "stock_dispatch")
GC_PATH = "/__bench/gc"

_pauses = {g: {"collections": 0, "total_ms": 0.0, "max_ms": 0.0} for g in range(3)}
_started = [0.0]


def _time_collections(phase, info):
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    pause = (time.perf_counter() - _started[0]) * 1000
    figures = _pauses[info["generation"]]
    figures["collections"] += 1
    figures["total_ms"] += pause
    figures["max_ms"] = max(figures["max_ms"], pause)


gc.callbacks.append(_time_collections)

variant = os.environ.get("OOH_ASGI_LAYER_VARIANT", "shipped")
if variant not in VARIANTS:
    raise SystemExit(f"OOH_ASGI_LAYER_VARIANT={variant!r}; expected one of {', '.join(VARIANTS)}")

import ooh.asgi  # noqa: E402  (after the callback: start-up collections are timed too)

if variant == "stock_handler":
    from django.core.handlers.asgi import ASGIHandler

    http = ooh.asgi.application.application_mapping["http"]  # StreamedBodyLimit(django_asgi_app)
    if not isinstance(http.app, getattr(ooh.asgi, "OneThreadASGIHandler", ())):
        raise SystemExit("stock_handler: ooh.asgi no longer serves HTTP through OneThreadASGIHandler")
    http.app = ASGIHandler()
elif variant == "no_freeze":
    if gc.get_freeze_count() == 0:
        raise SystemExit("no_freeze: ooh.asgi no longer freezes its start-up heap")
    gc.unfreeze()
elif variant == "stock_dispatch":
    from api.consumers import AuthenticatedConsumer

    if "dispatch" not in vars(AuthenticatedConsumer):
        raise SystemExit("stock_dispatch: api.consumers no longer overrides dispatch")
    del AuthenticatedConsumer.dispatch  # Channels' AsyncConsumer.dispatch again


async def application(scope, receive, send):
    if scope["type"] != "http" or scope["path"] != GC_PATH:
        return await ooh.asgi.application(scope, receive, send)
    body = json.dumps(
        {
            "variant": variant,
            "frozen": gc.get_freeze_count(),
            "tracked": len(gc.get_objects()),
            "generations": {str(g): dict(v) for g, v in _pauses.items()},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
