# Sourced by .ci/run (not executed: it exports TEST_POSTGRES_URL into the caller's environment).
#
# Starts a throwaway PostgreSQL on 127.0.0.1 for the database-facing tests: Debian's `postgresql` package (installed
# with apt-get when missing), a private cluster in a temporary directory (so it neither needs nor disturbs the
# package's own `main` cluster, which containers often leave stopped), a role allowed to create databases (every
# test creates and drops its own), and TEST_POSTGRES_URL pointing at it. The server is stopped when the calling
# shell exits.
#
# If PostgreSQL cannot be installed or started, it says so loudly and leaves TEST_POSTGRES_URL unset: the PostgreSQL
# tests then run on the in-process PGlite instead (see prisma/README.md).
#
# Knobs: ZG_PG_PORT (first port to try, default 54329).

zg_pg_log() { echo "== postgres: $*"; }

zg_pg_bindir() {
  # The newest installed major version's binaries (Debian keeps them out of PATH).
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

zg_pg_install() {
  if zg_pg_bindir >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    zg_pg_log "not installed, and installing needs root"
    return 1
  fi
  zg_pg_log "installing Debian's postgresql"
  # Retry apt once: a mirror hiccup on a fresh machine should not cost the PostgreSQL run.
  local attempt
  for attempt in 1 2; do
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      postgresql >/dev/null; then
      return 0
    fi
    zg_pg_log "apt-get failed (attempt $attempt)"
    sleep 5
  done
  return 1
}

zg_pg_free_port() {
  local port=${ZG_PG_PORT:-54329} tries=0
  # A port that accepts a connection is taken: try the next few.
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
    tries=$((tries + 1))
    [ "$tries" -lt 20 ] || return 1
  done
  echo "$port"
}

# Runs a command as the cluster's owner: PostgreSQL refuses to run as root.
zg_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

zg_pg_start() {
  local bin port dir
  bin=$(zg_pg_bindir) || return 1
  port=$(zg_pg_free_port) || {
    zg_pg_log "no free port"
    return 1
  }
  dir=$(mktemp -d /tmp/zhenggai-pg.XXXXXX) || return 1
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  ZG_PG_DIR=$dir
  ZG_PG_BIN=$bin
  # Trust on loopback only: the cluster lives for one CI run and listens on 127.0.0.1 alone.
  zg_pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log"
    return 1
  }
  # fsync off: a throwaway test cluster trades durability for speed on a slow disk. Autovacuum off: its workers run
  # as the superuser, and one that starts on a test database makes the tests' DROP DATABASE … WITH (FORCE) fail.
  zg_pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c autovacuum=off -c max_connections=200" \
    >/dev/null || {
    cat "$dir/server.log"
    return 1
  }
  zg_pg_as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE zhenggai LOGIN CREATEDB PASSWORD 'zhenggai'" \
    -c "CREATE DATABASE zhenggai OWNER zhenggai" || return 1
  export TEST_POSTGRES_URL="postgresql://zhenggai:zhenggai@127.0.0.1:$port/zhenggai"
  zg_pg_log "$("$bin/postgres" --version) on 127.0.0.1:$port, TEST_POSTGRES_URL=$TEST_POSTGRES_URL"
}

zg_pg_stop() {
  if [ -n "${ZG_PG_DIR:-}" ] && [ -d "$ZG_PG_DIR/data" ]; then
    zg_pg_as_owner "$ZG_PG_BIN/pg_ctl" -D "$ZG_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$ZG_PG_DIR"
  fi
}

unset TEST_POSTGRES_URL
if zg_pg_install && zg_pg_start; then
  trap zg_pg_stop EXIT
else
  zg_pg_stop
  unset TEST_POSTGRES_URL
  echo "!! postgres: could not provide a PostgreSQL server; the PostgreSQL tests fall back to PGlite" >&2
fi
