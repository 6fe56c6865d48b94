"""What every published result file carries: the machine, the date, the commit, the command."""

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from .locations import BASE_DIR

RESULTS_DIR = BASE_DIR / "tests" / "benchmarks" / "results"


def machine() -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def commit() -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=BASE_DIR, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def command(*env_names: str) -> str:
    shown = " ".join(f"{k}={os.environ[k]}" for k in env_names if k in os.environ)
    return f"{shown} {Path(sys.executable).parent.name}/pytest {' '.join(sys.argv[1:])}".strip()


def write_result(
    name: str, figures: dict, *, env_names: tuple[str, ...] = (), folder: Path | None = None
) -> Path:
    """tests/benchmarks/results/<name>.json with the figures and where they were measured; `folder`
    writes it elsewhere (a shrunk run's copy in var/bench, never over the published one)."""
    folder = folder or RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "command": command(*env_names),
        **figures,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
