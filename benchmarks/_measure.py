"""Timing a child process for the benchmarks: wall time, CPU time and peak RSS."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import time
from pathlib import Path


def measure(
    cmd: list[str],
    env: dict[str, str] | None = None,
    shown: str | None = None,
    tail: int = 2000,
) -> dict:
    """Run ``cmd``; its wall seconds, CPU seconds and peak RSS (``/usr/bin/time -v`` when
    present, else ``getrusage``, an upper bound: the largest child so far)."""
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    full = [timer, "-v", *cmd] if timer else cmd
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    peak = cpu = None
    if timer:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        peak = int(found.group(1)) * 1024 if found else None
        user = re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr)
        system = re.search(r"System time \(seconds\): ([\d.]+)", proc.stderr)
        if user and system:
            cpu = round(float(user.group(1)) + float(system.group(1)), 2)
    if peak is None:
        peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) * 1024
    stderr = "\n".join(ln for ln in proc.stderr.splitlines() if not ln.startswith("\t"))
    return {
        "cmd": shown or " ".join(cmd),
        "exit": proc.returncode,
        "seconds": round(wall, 2),
        "cpu_seconds": cpu,
        "peak_rss_mb": round(peak / 1024**2, 1),
        "stdout": proc.stdout.strip()[-tail:],
        "stderr": stderr[-tail:],
    }
