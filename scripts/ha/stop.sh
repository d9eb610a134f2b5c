#!/usr/bin/env bash
# Stops what scripts/ha/start.sh started (the same HA_DIR); the data stays.
# HA_STOP_MODE=--fast or --immediate for pg_autoctl stop's shutdown mode.
set -euo pipefail
HA_DIR=$(realpath -m "${HA_DIR:-.data/ha}")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() {
  local env=(env "HOME=$HA_DIR" "XDG_CONFIG_HOME=$HA_DIR/config" "XDG_DATA_HOME=$HA_DIR/share"
             "XDG_RUNTIME_DIR=$HA_DIR/run" "PATH=$PGBIN:$PATH")
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${env[@]}" "$@"; else "${env[@]}" "$@"; fi
}
for d in node2 node1 monitor; do
  [ -d "$HA_DIR/$d" ] && as_pg pg_autoctl stop --pgdata "$HA_DIR/$d" ${HA_STOP_MODE:-} >/dev/null 2>&1 || true
done
