#!/usr/bin/env bash
# Body of `npm run test:ceph`: runs a test command against a real Ceph RGW.
#
#   spec/support/ceph/test-ceph.sh                    # npx mocha
#   spec/support/ceph/test-ceph.sh npx mocha 'spec/**/*.ceph.spec.ts'
#   spec/support/ceph/test-ceph.sh node spec/support/ceph/smoke.mjs
#
# If the cluster of RGW_DIR is already running and answering (e.g. started by hand with
# start-rgw.sh for a debugging session) it is reused and left running. Otherwise it is started
# here and stopped at the end, whatever happens (failure, Ctrl-C). The test command's exit code is
# this script's exit code.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

((${#@})) || set -- npx mocha

owned=0
cleanup() {
  if ((owned)); then
    owned=0
    "$HERE/stop-rgw.sh" || true
  fi
}
trap cleanup EXIT

# On INT/TERM/HUP (Ctrl-C, a CI timeout): pass the signal on to the test command, give it 10 s to
# finish, then stop the cluster (EXIT trap) and exit with 128+signal.
child=
forward() {
  trap - INT TERM HUP
  if [[ -n $child ]]; then
    kill -"$1" "$child" 2>/dev/null || true
    for _ in {1..100}; do
      kill -0 "$child" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$child" 2>/dev/null || true
  fi
  exit "$2"
}
trap 'forward INT 130' INT
trap 'forward TERM 143' TERM
trap 'forward HUP 129' HUP

if rgw_cluster_ready; then
  rgw_log "reusing the running cluster in $RGW_DIR (left running afterwards)"
else
  # On failure start-rgw.sh has already stopped what it started and kept the logs: nothing to do.
  "$HERE/start-rgw.sh" >/dev/null
  owned=1
fi

# shellcheck disable=SC1091
. "$RGW_DIR/env"

# In the background so that `wait` returns as soon as a signal arrives (bash would otherwise run
# the traps only after the command ended). Bash starts background commands with SIGINT and SIGQUIT
# ignored and stdin from /dev/null: `trap -` and `<&0` undo that, so Ctrl-C and stdin reach it.
set +e
(
  trap - INT QUIT
  exec "$@"
) <&0 &
child=$!
wait "$child"
rc=$?
child=
exit "$rc"
