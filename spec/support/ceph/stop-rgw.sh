#!/usr/bin/env bash
# Stops the throw-away Ceph cluster that start-rgw.sh started in RGW_DIR (default /tmp/rx-s3-ceph),
# using only the pid files it recorded, then removes RGW_DIR unless KEEP_RGW_DIR=1.
# Idempotent: nothing running and no directory is not an error.
#
#   spec/support/ceph/stop-rgw.sh
#   KEEP_RGW_DIR=1 spec/support/ceph/stop-rgw.sh   # keep data and logs for a post-mortem
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

rgw_lock
STOP_TIMEOUT=${RGW_STOP_TIMEOUT:-10}   # seconds per group before SIGKILL

# stop_group NAME...: SIGTERM the live ones, wait for them to exit, SIGKILL whatever is left.
stop_group() {
  local name pid pids=() deadline
  for name in "$@"; do
    if pid=$(rgw_live_pid "$name"); then
      rgw_log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$name:$pid")
    fi
  done
  ((${#pids[@]})) || return 0
  deadline=$((SECONDS + STOP_TIMEOUT))
  while ((SECONDS < deadline)); do
    local alive=0
    for name in "$@"; do rgw_live_pid "$name" >/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for name in "$@"; do
    if pid=$(rgw_live_pid "$name"); then
      rgw_log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  sleep 0.2
}

# radosgw first (so it does not spin on a vanished cluster), then the OSD and the monitor together:
# the data is thrown away, so a clean cluster-level shutdown buys nothing.
stop_group client.rgw.a
stop_group osd.0 mon.a
rm -f "$RGW_DIR"/run/*.pid 2>/dev/null || true

if [[ ${KEEP_RGW_DIR:-0} == 1 ]]; then
  [[ -d $RGW_DIR ]] && rgw_log "kept $RGW_DIR (logs in $RGW_DIR/log)"
elif [[ -d $RGW_DIR ]]; then
  if [[ -f $RGW_MARKER ]]; then
    rm -rf -- "$RGW_DIR"
    rgw_log "removed $RGW_DIR"
  else
    rgw_log "not removing $RGW_DIR: it was not created by start-rgw.sh (no $RGW_MARKER)"
  fi
fi
exit 0
