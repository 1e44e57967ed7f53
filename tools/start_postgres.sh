#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL + PostGIS cluster for the database tests and print
# its SQLAlchemy URL on stdout (everything else goes to stderr), e.g.
#   CULTURAMAP_TEST_POSTGRES_URL="$(tools/start_postgres.sh)" pytest tests/test_workspace_db.py
# Debian packages are installed when missing (apt-get, with sudo when not root). The cluster
# lives in a private folder, listens on 127.0.0.1 only and trusts local connections: it is
# for tests, never for data that matters. Stop it with:  tools/start_postgres.sh stop
set -euo pipefail

PG_VERSION="${CULTURAMAP_PG_VERSION:-15}"
PORT="${CULTURAMAP_PG_PORT:-55432}"
ROOT="${CULTURAMAP_PG_DIR:-/tmp/culturamap-postgres-$(id -u)}"
DB="${CULTURAMAP_PG_DB:-culturamap_test}"
ROLE=culturamap
BIN="/usr/lib/postgresql/${PG_VERSION}/bin"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x "$BIN/initdb" ] || \
   [ ! -f "/usr/share/postgresql/${PG_VERSION}/extension/postgis.control" ]; then
    echo "installing postgresql-${PG_VERSION} and postgresql-${PG_VERSION}-postgis-3" >&2
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        "postgresql-${PG_VERSION}" "postgresql-${PG_VERSION}-postgis-3" >&2
fi

# PostgreSQL refuses to run as root: then the cluster belongs to the 'postgres' system user.
if [ "$(id -u)" = 0 ]; then
    RUN=(runuser -u postgres --)
    OWNER=postgres
else
    RUN=()
    OWNER="$(id -un)"
fi
run() { "${RUN[@]}" "$@"; }

DATA="$ROOT/data"
if [ "${1:-}" = stop ]; then
    run "$BIN/pg_ctl" -D "$DATA" -m fast stop >&2 || true
    exit 0
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$ROOT"
    chown "$OWNER" "$ROOT"
    chmod 700 "$ROOT"
    run "$BIN/initdb" -D "$DATA" -U "$ROLE" -A trust -E UTF8 --locale=C.UTF-8 >&2
fi
if ! run "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    run "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -w -t 60 \
        -o "-p $PORT -k $ROOT -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$ROLE" -v ON_ERROR_STOP=1 -qtA)
if [ "$(run "${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    run "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB" >&2
fi
run "${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2

echo "postgresql+psycopg://${ROLE}@127.0.0.1:${PORT}/${DB}"
