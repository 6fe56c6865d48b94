"""Progress of a long generation, on stderr: tqdm's bar where tqdm is installed (the dev install,
which the benchmarks run from), plain lines where it is not (the service install does without it)."""

import sys
import time
from typing import Any, Literal, Self

try:
    from tqdm import tqdm
except ImportError:
    TQDM_INSTALLED = False
else:
    TQDM_INSTALLED = True


class LineProgress:
    """One line per tenth of the total reached, with the rate so far; silent when not enabled."""

    STEPS = 10

    def __init__(self, total: int, desc: str, *, enabled: bool) -> None:
        self.total, self.desc, self.enabled = total, desc, enabled
        self.done = 0
        self.next_step = 1
        self.started = time.perf_counter()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> Literal[False]:
        return False

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled or self.done * self.STEPS < self.next_step * self.total:
            return
        # A family can be big enough to cross more than one step: one line for all of them.
        while self.done * self.STEPS >= self.next_step * self.total:
            self.next_step += 1
        seconds = time.perf_counter() - self.started
        print(
            f"{self.desc}: {self.done:,} / {self.total:,} ({100 * self.done // self.total}%) "
            f"in {seconds:.1f} s, {self.done / max(seconds, 1e-9):,.0f} {self.desc}/s",
            file=sys.stderr,
            flush=True,
        )


def progress(total: int, *, show: bool) -> "tqdm[Any] | LineProgress":
    """A context manager whose update(n) counts people made: a bar, lines, or nothing when not shown."""
    if TQDM_INSTALLED:
        return tqdm(total=total, desc="people", unit=" people", disable=not show, smoothing=0.05)
    return LineProgress(total, "people", enabled=show)
