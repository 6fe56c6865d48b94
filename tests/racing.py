"""Concurrency tests' start line: callables run at the same moment, each on its own database connection."""

import threading

from django.db import connections


def race(*calls):
    """Start every call at the same moment on its own thread and connection; fail with every error raised."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
        except Exception as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
