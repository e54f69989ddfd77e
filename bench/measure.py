"""Peak RSS without psutil: this process's from /proc/self, a child's (and its descendants') by
watching /proc/<pid>.

rusage is no help for children here: Python starts them with vfork, so a child's ru_maxrss
includes the parent's high-water mark at exec.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def _vm_hwm_mb(status: Path) -> float:
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak RSS since the last reset_peak_rss()."""
    return _vm_hwm_mb(Path("/proc/self/status"))


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (e.g. the dbt subprocess), in MB."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # it exited while we looked
    return total


def run_watched(command: Sequence[str], capture: bool = False) -> tuple[str, float]:
    """Run a command to its end; (its stdout if captured, its peak RSS in MB).

    The peak is the larger of the process's own high-water mark (VmHWM) and the largest sum of
    resident memory over it and its descendants, sampled every 50 ms: a spike shorter than that
    in a subprocess can be missed.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE if capture else None, text=True)
    status, peak = Path(f"/proc/{process.pid}/status"), 0.0
    while process.poll() is None:
        try:
            peak = max(peak, _vm_hwm_mb(status), _tree_rss_mb(process.pid))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    output = process.communicate()[0] if capture else ""
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, list(command), output)
    return output or "", peak
