"""The dbt executable to give dagster-dbt: dbt under a parent-death signal (dbt_child.sh).

dagster-dbt starts dbt with `subprocess.Popen`, in the run's process group and with no way to
pass a `preexec_fn`. Killing the whole group ends dbt with the run; killing the run's pid alone
would orphan it, and the orphan would finish an unvalidated build while holding DuckDB's lock.
The wrapper makes the kernel kill dbt when the process that started it dies (even by kill -9).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

WRAPPER = Path(__file__).with_name("dbt_child.sh")
ENV = "SECTORPULSE_DBT_EXECUTABLE"  # the dbt the wrapper execs


def executable(dbt: str | Path) -> str:
    """The wrapper, told to exec `dbt` (through the environment dbt's subprocess inherits).

    Without setpriv (util-linux; not on macOS) this is `dbt` itself: a process-group kill still
    ends it.
    """
    if shutil.which("setpriv") is None or not os.access(WRAPPER, os.X_OK):
        return str(dbt)
    os.environ[ENV] = str(dbt)
    return str(WRAPPER)
