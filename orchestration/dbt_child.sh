#!/bin/sh
# dbt for dagster-dbt, ended with the run that started it (orchestration/dbt_child.py).
# dagster-dbt starts dbt in the run's process group: a kill of the group ends it, but a kill -9 of
# the run's pid alone would leave dbt building the warehouse on its own, holding DuckDB's lock.
# setpriv (util-linux) asks the kernel to SIGKILL dbt when its parent dies, then execs dbt. The
# parent is checked once the signal is set: had it died before, nothing would send it.
set -eu
: "${SECTORPULSE_DBT_EXECUTABLE:?set by orchestration.dbt_child.executable(): the dbt to run}"
exec setpriv --pdeathsig KILL -- /bin/sh -c \
    '[ "$PPID" = "$0" ] || { echo "dbt not started: its parent $0 has ended" >&2; exit 1; }; exec "$@"' \
    "$PPID" "$SECTORPULSE_DBT_EXECUTABLE" "$@"
