"""Admission control's rules, as small functions: when a process is busy, how late its loop runs, and
how far apart the phones told to wait come back."""

import pytest

from api.admission import Gate, lag_reading, retry_after_ms


def test_retry_delays_are_spread_over_half_to_one_and_a_half_times_the_setting(settings):
    settings.WS_RETRY_AFTER_MS = 1_000
    delays = [retry_after_ms() for _ in range(200)]
    assert all(500 <= d <= 1_500 for d in delays)
    assert len(set(delays)) > 50, "phones told to wait must not come back in step"
    assert min(delays) < 750
    assert max(delays) > 1_250


@pytest.mark.parametrize(
    ("previous", "late", "reading"),
    [
        (0.0, 0.3, 0.3),  # a late wake-up counts at once
        (0.3, 0.5, 0.5),
        (0.8, 0.0, 0.4),  # on time: the reading halves
        (0.8, 0.5, 0.4),  # later than nothing, but less than the reading: still halves
        (0.0, -0.01, 0.0),  # woken early (timer granularity): no lag
    ],
)
def test_the_loop_lag_reading(previous, late, reading):
    assert lag_reading(previous, late) == pytest.approx(reading)


@pytest.mark.parametrize(
    ("sockets", "connecting", "lag", "why"),
    [
        (0, 0, 0.0, None),
        (9, 4, 0.9, None),
        (10, 0, 0.0, "full"),
        (0, 5, 0.0, "burst"),
        (0, 0, 1.01, "lagging"),
    ],
)
def test_why_a_process_is_busy(settings, sockets, connecting, lag, why):
    settings.WS_MAX_SOCKETS, settings.WS_MAX_CONNECTING, settings.WS_OVERLOAD_LAG_MS = 10, 5, 1_000
    assert Gate(sockets=sockets, connecting=connecting, lag=lag).busy() == why
