"""The threads that do the sockets' database work on connecting: a few of their own.

Channels runs every database call of every consumer on one thread per process, first come first served.
In a reconnect storm each connection's token lookup, access check, audit row and replay queued there one
after another, so a phone's wait grew with the whole storm's. A small pool of its own (WS_DB_THREADS,
each with its own database connection) overlaps their waits on PostgreSQL, and leaves the rest of the
connection pool to the HTTP requests: reads are bounded by api.admission.ReadGate, so writes always find
a connection.
"""

from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings

P = ParamSpec("P")
R = TypeVar("R")

_pool: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    global _pool  # one pool per process, made on first use (after settings are read)
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=settings.WS_DB_THREADS, thread_name_prefix="socket-db")
    return _pool


def on_socket_threads(fn: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """`fn` run on the sockets' own threads, closing stale database connections around it as Channels'
    database_sync_to_async does."""
    return database_sync_to_async(fn, thread_sensitive=False, executor=pool())
