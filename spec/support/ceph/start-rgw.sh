#!/usr/bin/env bash
# Starts a throw-away single-node Ceph cluster (1 mon, 1 bluestore OSD on a sparse file, no mgr) and
# a RADOS Gateway on 127.0.0.1:RGW_PORT, for the S3 integration tests.
#
#   eval "$(spec/support/ceph/start-rgw.sh)"     # stdout is only `export S3_...=...` lines
#   spec/support/ceph/stop-rgw.sh
#
# Environment:
#   RGW_DIR         cluster directory (default /tmp/rx-s3-ceph): config, data, logs, pid files, env
#   RGW_PORT        S3 port on 127.0.0.1 (default 7480)
#   RGW_MON_PORT    monitor port on 127.0.0.1 (default: a free port picked at start)
#   RGW_OSD_SIZE    size of the sparse OSD file (default 8G; only written blocks use disk)
#   RGW_OBJECTSTORE bluestore (default) or memstore (a little faster to start, but keeps every object
#                   in RAM until garbage collection)
#   RGW_START_TIMEOUT seconds to wait for the endpoint (default 60)
#
# Idempotent: if the cluster of this RGW_DIR is already running and answering, it only prints the
# variables. Installs radosgw, ceph-mon and ceph-osd with apt-get when they are missing (needs root).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

# stdout carries only the export lines (callers eval it); everything else goes to stderr.
exec 3>&1 1>&2

ACCESS_KEY=rxs3testaccesskey
SECRET_KEY=rxs3testsecretkey0123456789
# A second user, so specs can meet another owner's bucket (BucketAlreadyExists, AccessDenied by policy).
OTHER_ACCESS_KEY=rxs3otheraccesskey
OTHER_SECRET_KEY=rxs3othersecretkey0123456789
OSD_SIZE=${RGW_OSD_SIZE:-8G}
OBJECTSTORE=${RGW_OBJECTSTORE:-bluestore}
START_TIMEOUT=${RGW_START_TIMEOUT:-60}
ENDPOINT=http://127.0.0.1:$RGW_PORT
# The ceph CLI is a python3 script; call the system python explicitly (a pyenv shim may come first).
PY=/usr/bin/python3

die() { rgw_log "ERROR: $*"; exit 1; }

print_env() {
  # Emit the variables on the real stdout.
  cat "$RGW_DIR/env" >&3
}

# --------------------------------------------------------------------------------------------
# Packages
# --------------------------------------------------------------------------------------------
install_packages() {
  local pkg missing=()
  # curl: the readiness checks (not in minimal Debian images).
  for pkg in radosgw ceph-mon ceph-osd curl; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || die "missing packages (${missing[*]}) and not root: apt-get install ${missing[*]}"
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: install Ceph 16 yourself"
  export DEBIAN_FRONTEND=noninteractive
  # Lock::Timeout: wait for a concurrent apt/dpkg instead of failing at once.
  local apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  rgw_log "installing ${missing[*]} (about 70 MB, 30-40 s)"
  # Refresh the package lists only if they do not know the packages, or if they are stale enough
  # that the download fails.
  if ! apt-cache policy radosgw 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -q -o DPkg::Lock::Timeout=300
  fi
  if ! apt-get install "${apt_opts[@]}" "${missing[@]}"; then
    rgw_log "install failed; refreshing package lists and retrying"
    apt-get update -q -o DPkg::Lock::Timeout=300
    apt-get install "${apt_opts[@]}" "${missing[@]}"
  fi
}

# --------------------------------------------------------------------------------------------
# Already running? Port free? Directory ours?
# --------------------------------------------------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rgw_lock 300   # a concurrent start may be installing packages

if rgw_cluster_ready; then
  running=$(rgw_env_value S3_ENDPOINT)
  [[ $running == "$ENDPOINT" ]] ||
    die "the cluster in $RGW_DIR is already running at $running, not $ENDPOINT (stop it first: $HERE/stop-rgw.sh)"
  rgw_log "already running in $RGW_DIR at $ENDPOINT"
  print_env
  exit 0
fi

install_packages

if rgw_any_live; then
  # Half-started or half-dead cluster from an earlier run: ours, so stop it and start afresh.
  rgw_log "found a cluster in $RGW_DIR that is not answering: stopping it"
  KEEP_RGW_DIR=1 "$HERE/stop-rgw.sh"
fi

if port_busy "$RGW_PORT"; then
  die "port $RGW_PORT on 127.0.0.1 is already in use by something that is not the cluster in $RGW_DIR:
$(ss -Htlnp "sport = :$RGW_PORT" 2>/dev/null || true)
Stop it, or choose another port with RGW_PORT=..."
fi

if [[ -e $RGW_DIR && ! -f $RGW_MARKER ]] && [[ -n $(ls -A "$RGW_DIR" 2>/dev/null) ]]; then
  die "$RGW_DIR exists and was not created by this script; refusing to wipe it (set RGW_DIR elsewhere)"
fi

case $OBJECTSTORE in bluestore | memstore) ;; *) die "RGW_OBJECTSTORE must be bluestore or memstore" ;; esac

# --------------------------------------------------------------------------------------------
# From here on, a failure stops what we started and keeps the logs.
# --------------------------------------------------------------------------------------------
started=0
on_exit() {
  local rc=$?
  ((started)) || return 0
  rgw_log "start failed (exit $rc); logs kept in $RGW_DIR/log:"
  ls -1 "$RGW_DIR"/log/* >&2 2>/dev/null || true
  tail -n 15 "$RGW_DIR"/log/*.out "$RGW_DIR"/log/*.log >&2 2>/dev/null || true
  KEEP_RGW_DIR=1 "$HERE/stop-rgw.sh" || true
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$EPOCHREALTIME
elapsed() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

rm -rf -- "$RGW_DIR"
mkdir -p "$RGW_DIR"/{run,log,crash,mon,osd/0}
touch "$RGW_MARKER"
started=1

FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
MON_PORT=${RGW_MON_PORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
port_busy "$MON_PORT" && die "monitor port $MON_PORT is in use (set RGW_MON_PORT)"

# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------
cat >"$RGW_CONF" <<EOF
# Generated by spec/support/ceph/start-rgw.sh: throw-away single-node test cluster.
[global]
fsid = $FSID
# Everything on loopback, msgr2 only: one monitor port, nothing on other interfaces.
mon host = [v2:127.0.0.1:$MON_PORT]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $RGW_DIR/keyring
run dir = $RGW_DIR/run
crash dir = $RGW_DIR/crash
mon cluster log file = $RGW_DIR/log/cluster.log
# Fail within 30 s rather than the default 300 s when the monitor does not answer.
client mount timeout = 30
# One OSD: pools of one replica, a handful of PGs, and no autoscaler (there is no mgr anyway).
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
# Replicas across OSDs, not hosts (a single host).
osd crush chooseleaf type = 0

[mon]
mon data = $RGW_DIR/mon/\$name
pid file = $RGW_DIR/run/\$name.pid
admin socket = $RGW_DIR/run/\$name.asok
log file = $RGW_DIR/log/\$name.log
# Commit monitor changes (OSD id, pools, OSD boot) after 20 ms instead of 1 s: the pool creation
# batch below takes ~1 s instead of ~15 s.
paxos propose interval = 0.02
paxos min wait = 0.01
mon allow pool delete = true
# All clients here are Pacific: keep "ceph -s" free of this warning.
mon warn on insecure global id reclaim allowed = false

[osd]
osd data = $RGW_DIR/osd/\$id
pid file = $RGW_DIR/run/\$name.pid
admin socket = $RGW_DIR/run/\$name.asok
log file = $RGW_DIR/log/\$name.log
osd objectstore = $OBJECTSTORE
# Bluestore on a sparse file that mkfs creates itself; skip the post-mkfs fsck (about 1 s).
bluestore block create = true
bluestore block size = $(numfmt --from=iec "$OSD_SIZE")
bluestore fsck on mkfs = false
# A fixed CRUSH weight: a small file would otherwise round to a weight of 0 and map no PGs.
osd crush initial weight = 1
# Every OSD shard opens and closes the block file once at start to ask whether it is rotational,
# and each close waits for the aio thread's poll timeout (250 ms): fewer shards, shorter poll.
osd op num shards = 2
osd op num threads per shard = 1
bdev aio poll ms = 20
# Stopping is throw-away: do not wait up to 5 s for the (maybe already stopped) monitor to ack.
osd fast shutdown notify mon = false
# Keep memory modest (default target 4 GiB).
osd memory target = 1073741824

[client.rgw.a]
pid file = $RGW_DIR/run/\$name.pid
admin socket = $RGW_DIR/run/\$name.asok
log file = $RGW_DIR/log/\$name.log
# 127.0.0.1 only; tcp_nodelay takes small GET/LIST from ~48 ms to ~10 ms.
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
# Collect deleted data after ~60 s instead of 2 h, so long test runs do not fill the OSD.
rgw gc obj min wait = 60
rgw gc processor period = 60
rgw gc processor max time = 60
# Give up (and let start-rgw.sh report it) rather than wait 300 s for an unhealthy cluster.
rgw init timeout = 60
# No background resharding of bucket indexes in a short-lived cluster.
rgw dynamic resharding = false
# SSE-C (a customer key in each request) over plain http: the endpoint is loopback-only and test-only.
# Without this RGW refuses SSE-C requests that do not arrive over TLS (400 InvalidRequest).
rgw crypt require ssl = false
# SSE-KMS against Ceph's built-in "testing" key store (a fixed key, test clusters only): requests name it with
# SSEKMSKeyId=testkey-1.
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=$(head -c 32 /dev/urandom | base64)
EOF

# All keys in one keyring; ceph-mon --mkfs imports every entity of it into the auth database,
# which saves one monitor command per key.
authtool() { ceph-authtool "$RGW_DIR/keyring" "$@" >/dev/null; }
authtool --create-keyring --gen-key -n mon. --cap mon 'allow *'
authtool --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *'
authtool --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd'
authtool --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw'

ceph_cli() { $PY /usr/bin/ceph -c "$RGW_CONF" --connect-timeout 30 "$@"; }

# run_ceph LOG BINARY ARGS...: runs a Ceph program with our config, output appended to log/LOG.
# --no-mon-config: settings come from ceph.conf only, so no round trip to the monitor for them (and
# the OSD's mkfs can run before the monitor exists). </dev/null, the log file and 3>&- matter: the
# daemons must not inherit our stdout (fd 3) or stderr, or `$(start-rgw.sh)` or a pipe would wait
# on them forever, nor the lock (fd 9), or it would stay held as long as they run.
run_ceph() {
  local log=$RGW_DIR/log/$1
  shift
  "$1" -c "$RGW_CONF" --no-mon-config "${@:2}" </dev/null >>"$log" 2>&1 3>&- 9>&-
}

# --------------------------------------------------------------------------------------------
# Monitor, OSD
# --------------------------------------------------------------------------------------------
# The OSD's mkfs (1-2 s for bluestore) needs no monitor: run it while the monitor comes up.
run_ceph osd.0.out ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" &
mkfs_pid=$!

# An explicit monmap: built from "mon host" the monitor would be "noname-a" and never find itself.
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$RGW_DIR/monmap" >/dev/null
run_ceph mon.a.out ceph-mon -i a --mkfs --monmap "$RGW_DIR/monmap"
# Daemonizes once it listens.
run_ceph mon.a.out ceph-mon -i a
rgw_log "monitor up on 127.0.0.1:$MON_PORT ($(elapsed))"

# One CLI process for all monitor commands (each `ceph` start costs ~0.3 s of python). The seven
# pools radosgw needs are created now: radosgw would otherwise create them one at a time (~2 s each).
RGW_POOLS=(.rgw.root default.rgw.control default.rgw.meta default.rgw.log
  default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec)
{
  echo "osd create $OSD_UUID 0"
  for pool in "${RGW_POOLS[@]}"; do
    echo "osd pool create $pool 8 8 replicated"
    echo "osd pool application enable $pool rgw"
  done
} | ceph_cli >"$RGW_DIR/log/mon-commands.out" 2>&1 3>&- 9>&-
# The CLI's batch mode goes on after a failed command: check the results.
created=$(grep -c "^pool '.*' created" "$RGW_DIR/log/mon-commands.out" || true)
[[ $(head -n 1 "$RGW_DIR/log/mon-commands.out") == 0 && $created == "${#RGW_POOLS[@]}" ]] ||
  die "monitor commands failed: $(cat "$RGW_DIR/log/mon-commands.out")"
rgw_log "OSD id and pools created ($(elapsed))"

wait "$mkfs_pid" || die "ceph-osd --mkfs failed (see $RGW_DIR/log/osd.0.out)"
run_ceph osd.0.out ceph-osd -i 0
rgw_log "OSD started ($(elapsed))"

# --------------------------------------------------------------------------------------------
# RADOS Gateway and the S3 user
# --------------------------------------------------------------------------------------------
run_ceph client.rgw.a.out radosgw -n client.rgw.a
rgw_log "radosgw started ($(elapsed))"

radosgw_admin() {
  radosgw-admin -c "$RGW_CONF" "$@" </dev/null >>"$RGW_DIR/log/radosgw-admin.out" 2>&1 3>&- 9>&-
}
# ensure_user UID NAME ACCESS SECRET: creates the user unless it exists (so a retry is harmless).
ensure_user() {
  radosgw_admin user info --uid="$1" ||
    radosgw_admin user create --uid="$1" --display-name="$2" --access-key="$3" --secret-key="$4"
}
create_user() {
  ensure_user rxs3 'rx-s3 tests' "$ACCESS_KEY" "$SECRET_KEY" &&
    ensure_user rxs3-other 'rx-s3 tests, another owner' "$OTHER_ACCESS_KEY" "$OTHER_SECRET_KEY"
}
# wait_for PREDICATE...: polls until it holds, radosgw dies, or START_TIMEOUT passes.
deadline=$((SECONDS + START_TIMEOUT))
wait_for() {
  until "$@"; do
    ((SECONDS < deadline)) || die "no S3 answer from $ENDPOINT after ${START_TIMEOUT}s"
    rgw_live_pid client.rgw.a >/dev/null || die "radosgw exited (see $RGW_DIR/log/client.rgw.a.log)"
    sleep 0.1
  done
}
# Created while radosgw initializes, which saves ~0.5 s. Both create the default zone if it does
# not exist yet; RGW handles that race (EEXIST, then it reads the other's), but should the user
# creation still fail, try again once radosgw answers.
if ! create_user; then
  rgw_log "user create failed; retrying once radosgw answers"
  wait_for rgw_http_answers "$ENDPOINT"
  create_user || die "radosgw-admin user create failed (see $RGW_DIR/log/radosgw-admin.out)"
fi
rgw_log "S3 user created ($(elapsed))"

wait_for rgw_s3_answers "$ENDPOINT" "$ACCESS_KEY" "$SECRET_KEY"

cat >"$RGW_DIR/env" <<EOF
export S3_ENDPOINT=$ENDPOINT
export S3_ACCESS_KEY=$ACCESS_KEY
export S3_SECRET_KEY=$SECRET_KEY
export S3_REGION=us-east-1
export S3_FORCE_PATH_STYLE=true
export S3_OTHER_ACCESS_KEY=$OTHER_ACCESS_KEY
export S3_OTHER_SECRET_KEY=$OTHER_SECRET_KEY
EOF
started=0
rgw_log "ready at $ENDPOINT in $(elapsed) (dir $RGW_DIR; stop with $HERE/stop-rgw.sh)"
print_env
