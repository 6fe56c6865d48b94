"""What the benchmarks in tests/benchmarks share, so each benchmark file holds only its scenario.

- locations: the repository, var/bench, the venv's programs, database URLs pointed at a benchmark's own
  database and shown without passwords (every benchmark);
- stats: nearest-rank percentiles and millisecond summaries (every benchmark);
- the websocket fan-out (test_ws_fanout.py):
  - scenarios: its knobs (OOH_WSBENCH_*), its scenarios and phases, the servers' environment;
  - servers: uvicorn in a child process, its CPU time, the connections each of its processes holds
    and its log's errors; floor_app: the same-work floor it is compared with, the attendance
    update's SQL as raw SQL and one group_send to bare consumers (launched by uvicorn as
    tests.benchmarks.harness.floor_app);
  - seeding: its own database, dropped, created, migrated and seeded (the seed runs as
    `python -m tests.benchmarks.harness.seeding`);
  - clients: the HTTP poster and the websocket clients, counting every seq each one reads;
  - measurement: one scenario on one server, its timed rounds and its figures (lost, duplicated,
    dropped, latency); runner: every layer, ooh and the floor side by side, each scenario on ooh
    and then on the floor;
  - report: the rows, the recommendation and var/bench/websockets.md;
- the reconnect storm (test_storm.py): storm_knobs (its OOH_STORM_* knobs), storm_seed (its database's
  phones and incidents), storm_client (a client process holding its share of the phones), storm_fleet
  (those processes driven to one t0, the CPU and memory sampler, the attendance writer), storm_run (the
  phases, ooh then its floor, and the memory figure), storm_floor_app (the floor: a raw ASGI websocket)
  and storm_report (the figures, the targets, the table and the chart).

Nothing here is collected as a test.
"""
