"""The load test's users (locust, run headless by tests/benchmarks/test_load.py; never imported by pytest).

The seed (a JSON file named by OOH_LOAD_SEED) gives tokens and incidents. OOH_LOAD_MIX says what the
users do: "mixed" (phones on the night: nine snapshot reads for each attendance write), "snapshot"
(reads only) or "healthz" (the floor: the same users and server reading /healthz, which does no work). Each simulated user holds one token (a reader's, or for writes a writer's) and one incident.
"""

import json
import os
import random
import threading

from locust import FastHttpUser, constant, task

SEED = json.loads(open(os.environ["OOH_LOAD_SEED"]).read())  # noqa: SIM115 - read once at start
MIX = os.environ.get("OOH_LOAD_MIX", "mixed")
_next = iter(range(10**9))
_lock = threading.Lock()


def _number() -> int:
    with _lock:
        return next(_next)


class Phone(FastHttpUser):
    wait_time = constant(0)  # closed loop: each user sends its next request as soon as one answers

    def on_start(self):
        n = _number()
        self.incident = SEED["incidents"][n % len(SEED["incidents"])]
        self.reader = {"Authorization": f"Token {SEED['readers'][n % len(SEED['readers'])]}"}
        self.writer = {"Authorization": f"Token {SEED['writers'][n % len(SEED['writers'])]}"}

    @task(9)
    def snapshot(self):
        if MIX == "healthz":
            self.client.get("/healthz", name="healthz GET")
            return
        self.client.get(f"/api/v1/incidents/{self.incident}/", headers=self.reader, name="snapshot GET")

    @task(1)
    def attendance(self):
        if MIX in ("snapshot", "healthz"):
            self.snapshot()
            return
        self.client.post(
            f"/api/v1/incidents/{self.incident}/attendance/",
            json={"status": "en_route", "note": f"load {random.randrange(10**6)}"},
            headers=self.writer,
            name="attendance POST",
        )
