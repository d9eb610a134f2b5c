#!/usr/bin/env bash
# The failover drill's fault: the current primary of scripts/ha/start.sh's
# pair (same HA_DIR, HA_PORT) stops at once, keeper and PostgreSQL both
# (`pg_autoctl stop --immediate`, as a lost host would), and the monitor
# promotes the standby. Prints the node it stopped. Bring it back as the new
# standby with scripts/ha/start.sh.
set -euo pipefail
HA_DIR=$(realpath -m "${HA_DIR:-.data/ha}")
PORT=${HA_PORT:-6000}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() {
  local env=(env "HOME=$HA_DIR" "XDG_CONFIG_HOME=$HA_DIR/config" "XDG_DATA_HOME=$HA_DIR/share"
             "XDG_RUNTIME_DIR=$HA_DIR/run" "PATH=$PGBIN:$PATH")
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${env[@]}" "$@"; else "${env[@]}" "$@"; fi
}
primary=$(as_pg psql -XAtq -h 127.0.0.1 -p "$PORT" -U postgres -d pg_auto_failover \
  -c "SELECT nodename FROM pgautofailover.node WHERE reportedstate IN ('primary', 'wait_primary', 'single') LIMIT 1")
[ -n "$primary" ] || { echo "no primary found" >&2; exit 1; }
as_pg pg_autoctl stop --pgdata "$HA_DIR/$primary" --immediate
echo "$primary"
