#!/usr/bin/env bash
# A hot standby managed by pg_auto_failover, on this machine: a monitor and
# two PostgreSQL nodes (primary and streaming-replication standby) on
# loopback ports under HA_DIR, each run by its `pg_autoctl` keeper in the
# background, as the postgres OS user when run as root. Waits until the pair
# is primary + secondary, creates the database and the server's role, and
# prints the URLs to give the server (docs/operations.md, "Hot standby").
# Stop with scripts/ha/stop.sh. Development and drills only: `trust`
# authentication on loopback, no TLS.
#
#   HA_DIR   folder for everything (default: .data/ha)
#   HA_PORT  the monitor's port; the nodes take the next two (default: 6000)
set -euo pipefail
HA_DIR=$(realpath -m "${HA_DIR:-.data/ha}")
PORT=${HA_PORT:-6000}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v pg_autoctl >/dev/null || { echo "pg_autoctl not found: run scripts/install/13-ha.sh" >&2; exit 1; }

as_pg() {
  local env=(env "HOME=$HA_DIR" "XDG_CONFIG_HOME=$HA_DIR/config" "XDG_DATA_HOME=$HA_DIR/share"
             "XDG_RUNTIME_DIR=$HA_DIR/run" "PATH=$PGBIN:$PATH" "PGCONNECT_TIMEOUT=3")
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${env[@]}" "$@"; else "${env[@]}" "$@"; fi
}
psql_at() { as_pg psql -XAtq -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "$3"; }

mkdir -p "$HA_DIR"/{config,share,run}
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$HA_DIR"
MONITOR="postgres://autoctl_node@127.0.0.1:$PORT/pg_auto_failover?sslmode=disable"

if [ ! -d "$HA_DIR/monitor" ]; then
  as_pg pg_autoctl create monitor --pgdata "$HA_DIR/monitor" --pgport "$PORT" \
    --hostname 127.0.0.1 --auth trust --no-ssl >"$HA_DIR/monitor.log" 2>&1
fi
as_pg nohup pg_autoctl run --pgdata "$HA_DIR/monitor" >>"$HA_DIR/monitor.log" 2>&1 &
for _ in $(seq 100); do psql_at "$PORT" pg_auto_failover "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
# Failure detection in seconds rather than the defaults' half-minute: the
# monitor checks each node every second and gives up on one after 3 s.
psql_at "$PORT" pg_auto_failover "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" >/dev/null
psql_at "$PORT" pg_auto_failover "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" >/dev/null
psql_at "$PORT" pg_auto_failover "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" >/dev/null
psql_at "$PORT" pg_auto_failover "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" >/dev/null
psql_at "$PORT" pg_auto_failover "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 3000" >/dev/null
# Then it waits this long for the failed primary to confirm its demotion
# before promoting the standby (default 30 s). Safe only because each
# node's keeper demotes itself sooner when it loses the monitor
# (timeout.network_partition_timeout = 3 s, set below).
psql_at "$PORT" pg_auto_failover "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 5000" >/dev/null
psql_at "$PORT" pg_auto_failover "SELECT pg_reload_conf()" >/dev/null

for n in 1 2; do
  if [ ! -d "$HA_DIR/node$n" ]; then
    as_pg nohup pg_autoctl create postgres --pgdata "$HA_DIR/node$n" --pgport $((PORT + n)) \
      --hostname 127.0.0.1 --name "node$n" --dbname fatigue --auth trust --no-ssl \
      --monitor "$MONITOR" --run >"$HA_DIR/node$n.log" 2>&1 &
  else
    as_pg nohup pg_autoctl run --pgdata "$HA_DIR/node$n" >>"$HA_DIR/node$n.log" 2>&1 &
  fi
  # The first node must be primary before the second clones it.
  want=$([ "$n" = 1 ] && echo 1 || echo 2)
  for i in $(seq 300); do
    ready=$(psql_at "$PORT" pg_auto_failover \
      "SELECT count(*) FROM pgautofailover.node WHERE reportedstate = goalstate
         AND goalstate IN ('single', 'primary', 'secondary')" 2>/dev/null || echo 0)
    [ "$ready" -ge "$want" ] 2>/dev/null && break
    [ "$i" = 300 ] && { echo "node$n did not come up: see $HA_DIR/node$n.log" >&2; exit 1; }
    # pg_autoctl clones the standby with pg_basebackup, which waits for the
    # primary's next spread checkpoint (minutes); ask for one now.
    [ "$n" = 2 ] && [ $((i % 5)) = 0 ] && psql_at $((PORT + 1)) postgres "CHECKPOINT" >/dev/null 2>&1
    sleep 0.2
  done
done
for n in 1 2; do
  as_pg pg_autoctl config set --pgdata "$HA_DIR/node$n" timeout.network_partition_timeout 3 >/dev/null
done

NODES="127.0.0.1:$((PORT + 1)),127.0.0.1:$((PORT + 2))"
PRIMARY_URL="postgres://postgres@$NODES/fatigue?target_session_attrs=read-write"
# The server's role: the first migration creates it NOLOGIN; the DBA (here,
# this script) lets it log in.
psql_at_url() { as_pg psql -XAtq "$1" -c "$2"; }
psql_at_url "$PRIMARY_URL" "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fatigue_app')
  THEN CREATE ROLE fatigue_app LOGIN; ELSE ALTER ROLE fatigue_app LOGIN; END IF; END \$\$" >/dev/null
echo "DATABASE_URL=postgres://fatigue_app@$NODES/fatigue?target_session_attrs=read-write"
echo "MIGRATE_DATABASE_URL=$PRIMARY_URL"
# For read-only tools (an analyst's SQL, a BI extract): the standby when it is up.
echo "STANDBY_URL=postgres://fatigue_app@$NODES/fatigue?target_session_attrs=prefer-standby"
echo "MONITOR_URL=$MONITOR"
