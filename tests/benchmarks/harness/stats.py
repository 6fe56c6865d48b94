"""Nearest-rank percentiles and the millisecond summaries the figures files hold."""

import math
import statistics


def percentile(values, q):
    """Nearest-rank percentile, q in percent (50, 99); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def ratio(a, b):
    return None if not a or not b else round(a / b, 2)


def summarise(durations_ns):
    """n, p50/p95/p99, mean, min and max in milliseconds of durations in nanoseconds."""
    ms_values = sorted(d / 1e6 for d in durations_ns)
    return {
        "n": len(ms_values),
        "p50_ms": round(percentile(ms_values, 50), 3),
        "p95_ms": round(percentile(ms_values, 95), 3),
        "p99_ms": round(percentile(ms_values, 99), 3),
        "mean_ms": round(statistics.fmean(ms_values), 3),
        "min_ms": round(ms_values[0], 3),
        "max_ms": round(ms_values[-1], 3),
    }
