"""The ASGI layer benchmark's figures: one run's (latency, the collector's window), the summary (each
patch switched off against the shipped code, run by run) and var/bench/asgi_layer.md. Used by
tests/benchmarks/test_asgi_layer.py."""

import statistics

from tests.benchmarks.harness.stats import ms, percentile

PATCHES = {
    "stock_handler": "OneThreadASGIHandler (ooh/asgi.py) vs Django's ASGIHandler",
    "no_freeze": "gc.freeze() (ooh/asgi.py) vs no freeze",
    "stock_dispatch": "the consumers' dispatch (api/consumers.py) vs Channels' dispatch",
}
# (label, path in a run); lower is better for each. CPU share of one core for the same offered load:
# more CPU for the same work is less throughput left.
FIGURES = [
    ("snapshot GET p50", ("snapshot", "p50_ms")),
    ("snapshot GET p99", ("snapshot", "p99_ms")),
    ("healthz p99", ("healthz", "p99_ms")),
    ("attendance POST p50", ("attendance_post", "p50_ms")),
    ("attendance POST p99", ("attendance_post", "p99_ms")),
    ("fan-out p50", ("fanout", "p50_ms")),
    ("fan-out p99", ("fanout", "p99_ms")),
    ("server CPU share", ("server_cpu_share",)),
]
DECIDING = {"snapshot GET p99", "healthz p99", "attendance POST p99", "fan-out p99", "server CPU share"}
WORTH = 0.10  # off must be this much worse (median), and every off run worse than every shipped run


def latency(values) -> dict:
    return {
        "n": len(values),
        "p50_ms": ms(percentile(values, 50)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(max(values) if values else None),
    }


def gc_window(before, after) -> dict:
    window = {}
    for g, end in after["generations"].items():
        start = before["generations"][g]
        window[f"gen{g}_collections"] = end["collections"] - start["collections"]
        window[f"gen{g}_total_ms"] = round(end["total_ms"] - start["total_ms"], 1)
    full = after["generations"]["2"]
    window["gen2_max_ms_since_start"] = round(full["max_ms"], 1)
    window["frozen"], window["tracked"] = after["frozen"], after["tracked"]
    return window


def _value(run, path):
    value = run
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _values(runs, variant, path):
    return [v for r in runs if r["variant"] == variant for v in [_value(r, path)] if v is not None]


def summarise_variants(runs) -> dict:
    """Per variant and figure: every run's value and the median; per patch: off against shipped."""
    variants = list(dict.fromkeys(r["variant"] for r in runs))
    per_variant = {
        variant: {
            label: {"runs": vals, "median": statistics.median(vals) if vals else None}
            for label, path in FIGURES
            for vals in [_values(runs, variant, path)]
        }
        for variant in variants
    }
    shipped = per_variant.get("shipped", {})
    noise = {
        label: round((max(f["runs"]) - min(f["runs"])) / f["median"], 3)
        for label, f in shipped.items()
        if len(f["runs"]) > 1 and f["median"]
    }
    patches = {}
    for variant in variants:
        if variant == "shipped" or not shipped:
            continue
        figures = {}
        for label, _ in FIGURES:
            on, off = shipped[label], per_variant[variant][label]
            if not on["runs"] or not off["runs"] or not on["median"]:
                continue
            change = off["median"] / on["median"] - 1
            clear = change > WORTH and min(off["runs"]) > max(on["runs"])
            figures[label] = {
                "shipped": on["median"],
                "off": off["median"],
                "change": round(change, 3),
                "clear": clear,
            }
        worth = [label for label, f in figures.items() if f["clear"] and label in DECIDING]
        patches[variant] = {"patch": PATCHES.get(variant, variant), "figures": figures, "worth_it_on": worth}
    return {"per_variant": per_variant, "shipped_noise": noise, "patches": patches}


def _fmt(x) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if isinstance(x, float) and x < 1 else f"{x:g}" if isinstance(x, float) else str(x)


def markdown(report) -> str:
    c = report["config"]
    lines = [
        "# ASGI layer: each patch of library internals against the plain library",
        "",
        f"- date: {report['date']}; {report['seconds']} s; {report['cores']} cores, shared with other work"
        + ("" if report["complete"] else "; **cut short: not every run was made**"),
        f"- one uvicorn per run, ooh's production defaults, channel layer {c['channel_layer']}, PostgreSQL "
        f"`{c['database']}`",
        "- load per scenario SOCKETSxINCIDENTS@S: the sockets spread over the incidents, an attendance POST "
        f"every S seconds rotating over the incidents; {c['readers']} readers each GET every "
        f"{c['read_every_s']} s, alternately the incident snapshot and /healthz; {c['warmup_seconds']} s "
        f"warm-up, {c['timed_seconds']} s timed",
        f"- runs interleaved within a scenario: {', '.join(c['variants'])}, x {c['cycles']} cycles",
        "- latency from just before each request; fan-out from just before the POST to each socket's read",
    ]
    for scenario in report["summary"]:
        runs = [r for r in report["runs"] if r["scenario"] == scenario]
        lines += _scenario(scenario, runs, report["summary"][scenario])
    lines += [
        "",
        "Milliseconds; CPU share: the server's CPU seconds per second of the timed window (one core = 1). "
        "gen2 GCs: full collections in the timed window and their total pause. "
        f"Clear: the median with the patch off is more than {WORTH:.0%} worse and every run with it off is "
        "worse than every shipped run. Deciding figures: " + ", ".join(sorted(DECIDING)) + ".",
    ]
    return "\n".join(lines) + "\n"


def _scenario(scenario, runs, summary) -> list[str]:
    lines = [
        "",
        f"## {scenario}: every run",
        "",
        "| cycle | variant | load 1 min | snapshot p50 / p99 | healthz p50 / p99 | POST p50 / p99 "
        "| fan-out p50 / p99 | CPU share | gen2 GCs (ms) | lost / dup / dropped |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lat = {
            k: f"{_fmt(r[k]['p50_ms'])} / {_fmt(r[k]['p99_ms'])}"
            for k in ("snapshot", "healthz", "attendance_post", "fanout")
        }
        lines.append(
            f"| {r['cycle']} | {r['variant']} | {r['loadavg_at_start'][0]} | {lat['snapshot']} | {lat['healthz']} "
            f"| {lat['attendance_post']} | {lat['fanout']} | {_fmt(r['server_cpu_share'])} "
            f"| {r['gc']['gen2_collections']} ({r['gc']['gen2_total_ms']}) "
            f"| {r['lost']} / {r['duplicated']} / {r['sockets_dropped']} |"
        )
    lines += [
        "",
        f"## {scenario}: each patch switched off, against the shipped code (medians over the cycles)",
        "",
        "Noise, the spread of the shipped runs, (max - min) / median: "
        + ", ".join(f"{label} {share:.0%}" for label, share in summary["shipped_noise"].items()),
    ]
    for patch in summary["patches"].values():
        verdict = (
            f"worth it on {', '.join(patch['worth_it_on'])}"
            if patch["worth_it_on"]
            else "not clearly worth it (no deciding figure >10% worse off, beyond the spread)"
        )
        lines += [
            "",
            f"### {scenario}: {patch['patch']}: {verdict}",
            "",
            "| figure | shipped | off | off vs shipped | clear |",
            "|---|---:|---:|---:|---|",
        ]
        for label, f in patch["figures"].items():
            lines.append(
                f"| {label} | {_fmt(f['shipped'])} | {_fmt(f['off'])} | {f['change']:+.0%} "
                f"| {'yes' if f['clear'] else 'no'} |"
            )
    return lines
