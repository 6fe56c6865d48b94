"""PNG charts of the benchmarks' figures (matplotlib, no display), for tests/benchmarks/results/."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt
from matplotlib.ticker import ScalarFormatter


def line_chart(
    path: Path,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    series: dict[str, list[tuple[float, float]]],
    targets: dict[str, float] | None = None,
    logx: bool = False,
    logy: bool = False,
    note: str = "",
) -> Path:
    """One line per series (label -> [(x, y)], points without a y left out), dashed horizontal lines
    for the targets (label -> y), a note under the title (the machine and the command)."""
    figure, axes = plt.subplots(figsize=(9, 5.5), dpi=110)
    styles = ["-o", "-s", "-^", "-D", "--o", "--s", "--^", "--D"]
    for index, (label, points) in enumerate(series.items()):
        shown = sorted((x, y) for x, y in points if y is not None)
        if shown:
            axes.plot(*zip(*shown, strict=True), styles[index % len(styles)], label=label, markersize=4)
    for label, y in (targets or {}).items():
        axes.axhline(y, linestyle=":", color="grey")
        axes.annotate(
            label, xy=(1, y), xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8
        )
    for enabled, axis, scale in ((logx, axes.xaxis, axes.set_xscale), (logy, axes.yaxis, axes.set_yscale)):
        if enabled:
            scale("log")
            axis.set_major_formatter(ScalarFormatter())  # 100, not 10^2
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title + (f"\n{note}" if note else ""), fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
