"""The fan-out's report: one row per layer and phase (ooh against the floor), the recommended layer and
var/bench/websockets.md beside websockets.json."""

import json
import math
import os
import platform
import shlex
import statistics
import sys
from datetime import UTC, datetime

from .locations import OUT_DIR, redacted
from .scenarios import (
    BENCH_DB,
    BURST_ROUNDS,
    BURST_WARMUP,
    CONNECT_TIMEOUT,
    LAYERS,
    OOH_SERVER_ENV,
    PHASE_SECONDS,
    ROTATE_WARMUP,
    ROUND_TIMEOUT,
    ROUNDS,
    SCENARIOS,
    SIZES,
    TARGET_RATIO,
    WARMUP,
    WORKERS,
)
from .servers import error_count
from .stats import ratio

# The restated targets' absolute part: ooh's p99 for 100 phones on one incident, and for 1,000.
ABSOLUTE_P99_MS = {"c100": 50.0, "c1000": 250.0}


def rows_of(runs):
    rows = []
    for layer, run in runs.items():
        for scenario in SCENARIOS:
            for phase in scenario.phases:
                ooh, floor = run["ooh"][phase.key], run["floor"][phase.key]
                ratio_p99 = ratio(ooh["p99_ms"], floor["p99_ms"])
                rows.append(
                    {
                        "layer": layer,
                        "scenario": phase.key,
                        "title": phase.title,
                        "clients": scenario.clients,
                        "incidents": scenario.incidents,
                        "rounds": ooh["rounds"],
                        "floor_rounds": floor["rounds"],
                        "ooh_p50_ms": ooh["p50_ms"],
                        "ooh_p99_ms": ooh["p99_ms"],
                        "floor_p50_ms": floor["p50_ms"],
                        "floor_p99_ms": floor["p99_ms"],
                        "ratio_p50": ratio(ooh["p50_ms"], floor["p50_ms"]),
                        "ratio_p99": ratio_p99,
                        "within_target": ratio_p99 is not None and ratio_p99 <= TARGET_RATIO,
                        "absolute_target_ms": ABSOLUTE_P99_MS.get(phase.key),
                        "within_absolute": (
                            None
                            if phase.key not in ABSOLUTE_P99_MS
                            else ooh["p99_ms"] is not None and ooh["p99_ms"] <= ABSOLUTE_P99_MS[phase.key]
                        ),
                        "failed": ooh.get("skipped") or floor.get("skipped"),
                        "lost": ooh["lost"] + floor["lost"],
                        "duplicated": ooh["duplicated"] + floor["duplicated"],
                        "sockets_dropped": ooh["sockets_dropped"] + floor["sockets_dropped"],
                        "ooh": ooh,
                        "floor": floor,
                    }
                )
    return rows


def keeps_guarantee(r, app) -> bool:
    x = r[app]
    return (
        x["lost"] == 0
        and x["duplicated"] == 0
        and x["sockets_dropped"] == 0
        and (app == "floor" or x["out_of_order"] == 0)
    )


def recommend(runs, rows) -> dict:
    """The fastest layer (geometric mean of ooh's p99 over the scenarios measured on every layer) among
    those that kept ooh's guarantee: no event lost, duplicated or out of order, no socket dropped."""
    measured = {r["scenario"] for r in rows if r["ooh_p99_ms"]}
    for r in rows:
        if not r["ooh_p99_ms"]:
            measured.discard(r["scenario"])
    scores = {}
    for layer in runs:
        mine = [r for r in rows if r["layer"] == layer]
        p99s = [r["ooh_p99_ms"] for r in mine if r["scenario"] in measured]
        geo = math.exp(statistics.fmean(math.log(v) for v in p99s)) if p99s else None
        scores[layer] = {
            "keeps_guarantee": all(keeps_guarantee(r, "ooh") for r in mine),
            "ooh_p99_geomean_ms": None if geo is None else round(geo, 1),
            "floor_keeps_guarantee": all(keeps_guarantee(r, "floor") for r in mine),
            "server_errors": {app: error_count(e) for app, e in runs[layer]["server_errors"].items()},
        }
    eligible = [k for k, v in scores.items() if v["keeps_guarantee"] and v["ooh_p99_geomean_ms"]]
    best = min(eligible, key=lambda k: scores[k]["ooh_p99_geomean_ms"]) if eligible else None
    return {"layer": best, "over_scenarios": sorted(measured), "scores": scores}


def _cell(value) -> str:
    return "-" if value is None else str(value)


def markdown(report) -> str:
    results = report["results"]
    notes = [note for r in results for note in _notes(r)]
    lines = [
        *_header(report),
        *(_result_line(r) for r in results),
        *(["", *notes] if notes else []),
        *_recommendation(report["recommendation"]),
        *_cpu_table(results),
        *_server_log(report["runs"]),
        *_idle_checks(report.get("idle")),
    ]
    return "\n".join(lines) + "\n"


def _header(report) -> list[str]:
    """The title, how and where the run was made, and the head of the results table."""
    config = report["config"]
    many = SIZES["i100x20"][0]
    return [
        "# Websocket fan-out: POST of an attendance update -> the event on every socket",
        "",
        f"- date: {report['date']}; {report['seconds']} s",
        f"- machine: {report['machine']['cores']} cores, {report['machine']['platform']}, "
        f"Python {report['machine']['python']}; load average at start {report['machine']['loadavg']}",
        f"- servers: uvicorn, {config['workers']} process(es) each, ooh on PostgreSQL `{config['database']}` "
        f"with its production defaults{' plus ' + str(config['ooh_extra_env']) if config['ooh_extra_env'] else ''}, "
        f"channel layer on {config['redis_url']}; clients: `websockets` on uvloop in the test process",
        f"- rounds: up to {config['rounds']} timed after {config['warmup']} warm-up (i100x20: "
        f"{many} POSTs rotating over the incidents after {ROTATE_WARMUP} warm-up; burst: {BURST_ROUNDS} rounds "
        f"of {many} concurrent POSTs after {BURST_WARMUP}); "
        f"timed rounds stop after {config['phase_seconds']} s",
        "- latency: t_i - t0 over every client and timed round; t0 just before the HTTP POST; target: ooh "
        f"p99 <= {TARGET_RATIO} x the floor's",
        f"- command: `{report['command']}`",
        "",
        "| layer | scenario | clients | rounds | ooh p50 | ooh p99 | floor p50 | floor p99 | p50 x | p99 x "
        "| ooh POST p50 | first phone ooh / floor | ooh p99 absolute | lost | dup | dropped |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]


def _notes(r) -> list[str]:
    """What a result row cannot say: ooh skipped, sockets left out, timed rounds cut short."""
    o = r["ooh"]
    notes = []
    if o.get("skipped"):
        notes.append(f"- {r['layer']} {r['scenario']}: ooh not measured, {o['skipped']}")
    if r["floor"].get("skipped"):
        notes.append(f"- {r['layer']} {r['scenario']}: floor not measured, {r['floor']['skipped']}")
    elif o["clients_ready"] < r["clients"]:
        notes.append(
            f"- {r['layer']} {r['scenario']}: only {o['clients_ready']} of {r['clients']} ooh sockets "
            f"were ready after {CONNECT_TIMEOUT:.0f} s; the rounds ran with those"
        )
    if r["rounds"] and r["rounds"] < o.get("rounds_planned", r["rounds"]):
        notes.append(
            f"- {r['layer']} {r['scenario']}: ooh ran {r['rounds']} of {o['rounds_planned']} timed rounds "
            f"in the {PHASE_SECONDS:.0f} s allowed"
        )
    return notes


def _result_line(r) -> str:
    o = r["ooh"]
    clients = (
        r["clients"] if o["clients_ready"] in (r["clients"], 0) else f"{o['clients_ready']}/{r['clients']}"
    )
    cells = [
        r["layer"],
        r["title"],
        clients,
        r["rounds"],
        r["ooh_p50_ms"],
        r["ooh_p99_ms"],
        r["floor_p50_ms"],
        r["floor_p99_ms"],
        r["ratio_p50"],
        _cell(r["ratio_p99"]) + ("" if r["within_target"] else " (!)"),
        o["post_response_p50_ms"],
        f"{_cell(o.get('round_first_client_median_ms'))} / {_cell(r['floor'].get('round_first_client_median_ms'))}",
        _absolute(r),
        r["lost"],
        r["duplicated"],
        r["sockets_dropped"],
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _absolute(r) -> str:
    if r["absolute_target_ms"] is None:
        return "-"
    return f"<= {r['absolute_target_ms']:g}: " + ("met" if r["within_absolute"] else "**missed**")


def _recommendation(rec) -> list[str]:
    """The legend, the recommended layer and every layer's score."""
    lines = [
        "",
        "Milliseconds. (!) = outside the target. `ooh POST p50`: the attendance POST's own response time "
        "(ooh publishes before it responds). `first phone`: the median over rounds of the first socket's "
        "latency, the request's work up to its publish. lost / dup: events missing / repeated on sockets that stayed "
        "open (ooh + floor); dropped: sockets the server closed during the run (their events are not "
        "counted as lost).",
        "",
        f"Recommendation: **OOH_CHANNEL_LAYER={rec['layer']}** (the fastest layer that kept every socket "
        "open and every event exactly once, in order)"
        if rec["layer"]
        else "Recommendation: none - no layer kept every socket open with every event exactly once",
        "",
        f"| layer | ooh: 0 lost, 0 dup, in order, no socket dropped | floor: same | geomean of ooh p99 "
        f"over {', '.join(rec['over_scenarios'])} (ms) | server log errors (ooh / floor) |",
        "|---|---|---|---:|---|",
    ]
    for layer, score in rec["scores"].items():
        lines.append(
            f"| {layer} | {score['keeps_guarantee']} | {score['floor_keeps_guarantee']} | "
            f"{score['ooh_p99_geomean_ms']} | {score['server_errors']['ooh']} / {score['server_errors']['floor']} |"
        )
    return lines


def _cpu_table(results) -> list[str]:
    lines = [
        "",
        "Share of one core used while timing, connect time of all the sockets, and the connections each "
        "server process held (sockets and the POSTs' kept-alive connections, as the kernel spread them):",
        "",
        "| layer | scenario | ooh server | floor server | ooh client | floor client | ooh connect s "
        "| floor connect s | ooh per process | floor per process |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        o, f = r["ooh"], r["floor"]
        cells = [
            r["layer"],
            r["scenario"],
            o["server_cpu_share"],
            f["server_cpu_share"],
            o["client_cpu_share"],
            f["client_cpu_share"],
            o["connect_seconds"],
            f["connect_seconds"],
            _spread(o.get("connections_per_process")),
            _spread(f.get("connections_per_process")),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _spread(counts) -> str:
    return "-" if not counts else " + ".join(str(c) for c in counts)


def _server_log(runs) -> list[str]:
    """The servers' counted log lines, if any."""
    errors = [(layer, app, e) for layer, run in runs.items() for app, e in run["server_errors"].items()]
    if not any(e for *_, e in errors):
        return []
    return [
        "",
        "Server log (counted lines; logs in var/bench/websockets-<app>-<layer>.log):",
        "",
        *(
            f"- {layer} {app}: {count} x `{message}`"
            for layer, app, e in errors
            for message, count in e.items()
        ),
    ]


def _idle_checks(idle) -> list[str]:
    if not idle:
        return []
    return [
        "",
        "Idle check (floor app, sockets left idle, then one group_send):",
        "",
        *(
            f"- {layer}: {check['sockets']} sockets idle {check['idle_seconds']} s -> "
            f"{check['dropped']} dropped, {check['received']} received the message afterwards"
            for layer, check in idle.items()
        ),
    ]


def _command() -> str:
    """How this run was started, passwords masked and SECRET_KEY hidden."""
    shown_env = " ".join(
        f"{k}={redacted(os.environ[k]) if k != 'SECRET_KEY' else '...'}"
        for k in (
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            *sorted(k for k in os.environ if k.startswith("OOH_WSBENCH_")),
        )
        if k in os.environ
    )
    return f"{shown_env} .venv/bin/pytest {shlex.join(sys.argv[1:])}".strip()


def build_report(runs, rows, *, redis_url, loadavg, nofile) -> dict:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg": [round(x, 2) for x in loadavg],
            "nofile": nofile,
        },
        "command": _command(),
        "config": {
            "layers": LAYERS,
            "rounds": ROUNDS,
            "warmup": WARMUP,
            "workers": WORKERS,
            "phase_seconds": PHASE_SECONDS,
            "database": BENCH_DB,
            "redis_url": redacted(redis_url),
            "round_timeout_seconds": ROUND_TIMEOUT,
            "ooh_extra_env": OOH_SERVER_ENV,
            "scenarios": [{**s.__dict__, "phases": [p.__dict__ for p in s.phases]} for s in SCENARIOS],
        },
        "results": rows,
        "recommendation": recommend(runs, rows),
        "runs": runs,
    }


def write_report(report):
    """var/bench/websockets.json and websockets.md; returns their paths."""
    json_path, md_path = OUT_DIR / "websockets.json", OUT_DIR / "websockets.md"
    json_path.write_text(json.dumps(report, indent=2))
    md_path.write_text(markdown(report))
    return json_path, md_path


def guarantee_failures(rows) -> list[str]:
    """Every row and app that lost, repeated or reordered an event, dropped a socket, failed a POST or
    failed outright (a phase skipped for a saturated server is by design, not a failure)."""
    return [
        f"{r['layer']} {r['scenario']} {app}: lost {r[app]['lost']}, duplicated {r[app]['duplicated']}, "
        f"ready {r[app]['clients_ready']}/{r[app]['clients']}, dropped {r[app]['sockets_dropped']}, "
        f"HTTP {r[app]['http_failures']}, clients {r[app]['client_problems']}, {r[app].get('skipped') or ''}"
        for r in rows
        for app in ("ooh", "floor")
        if not keeps_guarantee(r, app)
        or r[app]["http_failures"]
        or (r[app].get("skipped") or "").startswith("failed")
    ]
