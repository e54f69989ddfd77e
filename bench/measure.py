"""Peak RSS without psutil: this process's from /proc/self, a child's by watching /proc/<pid>.

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


def run_watched(command: Sequence[str], capture: bool = False) -> tuple[str, float]:
    """Run a command to its end; (its stdout if captured, its peak RSS in MB).

    The peak is read from /proc/<pid>/status every 50 ms (VmHWM never decreases), so a spike in
    the last 50 ms before exit can be missed.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE if capture else None, text=True)
    status, peak = Path(f"/proc/{process.pid}/status"), 0.0
    while process.poll() is None:
        try:
            peak = max(peak, _vm_hwm_mb(status))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    output = process.communicate()[0] if capture else ""
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, list(command), output)
    return output or "", peak
