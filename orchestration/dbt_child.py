"""The dbt executable to give dagster-dbt: dbt under a parent-death signal.

dagster-dbt starts dbt with `subprocess.Popen`, in the run's process group and with no way to
pass a `preexec_fn` or an environment. Killing the whole group ends dbt with the run; killing the
run's pid alone would orphan it, and the orphan would finish an unvalidated build while holding
DuckDB's lock. The wrapper makes the kernel kill dbt when the process that started it dies (even
by kill -9). It names its dbt in its own text, so nothing is passed through the environment.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from ingestion.paths import replace_text

# setpriv (util-linux) sets the signal, then execs dbt. The parent is checked once the signal
# is set: had it died before, nothing would send it.
WRAPPER = """#!/bin/sh
# Written by orchestration/dbt_child.py: {dbt}, ended with the process that started it.
exec setpriv --pdeathsig KILL -- /bin/sh -c \\
    '[ "$PPID" = "$0" ] || {{ echo "dbt not started: its parent $0 has ended" >&2; exit 1; }}; \\
exec "$@"' "$PPID" {dbt} "$@"
"""


def executable(dbt: str | Path, folder: Path) -> str:
    """A wrapper of `dbt` in `folder` (written when missing or naming another dbt), or, without
    setpriv (macOS), `dbt` itself: a process-group kill still ends it."""
    if shutil.which("setpriv") is None:
        return str(dbt)
    wrapper = folder / "dbt_child"
    text = WRAPPER.format(dbt=shlex.quote(str(dbt)))
    if not wrapper.is_file() or wrapper.read_text() != text:
        replace_text(wrapper, text, mode=0o755)  # a concurrent run sees the old or the new one
    return str(wrapper)
