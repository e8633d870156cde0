#!/usr/bin/env bash
# The whole suite on SQLite, then again on a real PostgreSQL if one answers (`make test` runs this).
# The PostgreSQL pass gets a fresh database named after this run; every database the run made
# (pytest-django's test_ copy, the live servers' own ones) is dropped on the way out, however it ends.
# Usage: tests/both_engines.sh PYTHON [pytest arguments...]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${1:?the virtualenv python}
shift

server=$("$PY" -m tests.postgres probe) || server=""
if [ -n "$server" ]; then
    run="iotserver_run_$(date +%s)_$$"
    cleanup() { "$PY" -m tests.postgres drop "$server" "$run" >/dev/null || true; }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    # Tests that need a PostgreSQL server whatever the suite runs on find it here.
    export TEST_POSTGRES_URL="$server" TEST_POSTGRES_PREFIX="$run"
fi

echo "== Test suite on SQLite"
"$PY" -m pytest "$@"
sqlite_status=$?

if [ -z "$server" ]; then
    echo "PostgreSQL not reachable: PostgreSQL suite skipped (set TEST_POSTGRES_URL to point at a server)"
    exit $sqlite_status
fi

echo "== Test suite on PostgreSQL (database $run)"
database_url=$("$PY" -m tests.postgres create "$server" "$run") || exit 1
DATABASE_URL="$database_url" "$PY" -m pytest --create-db "$@"
postgres_status=$?

echo "== SQLite: $([ $sqlite_status = 0 ] && echo passed || echo FAILED)," \
    "PostgreSQL: $([ $postgres_status = 0 ] && echo passed || echo FAILED)"
[ $sqlite_status = 0 ] && [ $postgres_status = 0 ]
