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
# The test command, in our process group, gets Ctrl-C too; bash runs these once it has exited.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if rgw_cluster_ready; then
  rgw_log "reusing the running cluster in $RGW_DIR (left running afterwards)"
else
  # On failure start-rgw.sh has already stopped what it started and kept the logs: nothing to do.
  "$HERE/start-rgw.sh" >/dev/null
  owned=1
fi

# shellcheck disable=SC1091
. "$RGW_DIR/env"

set +e
"$@"
rc=$?
set -e
exit "$rc"
