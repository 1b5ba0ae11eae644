# Shared by start-rgw.sh, stop-rgw.sh and test-ceph.sh (sourced, not run).
# Knows where the throw-away cluster lives and how to tell whether the processes recorded there are
# still ours.

RGW_DIR=${RGW_DIR:-/tmp/rx-s3-ceph}
# The daemons chdir to / when they daemonize, so every path handed to them must be absolute.
case $RGW_DIR in /*) ;; *) RGW_DIR=$PWD/$RGW_DIR ;; esac
RGW_DIR=${RGW_DIR%/}
RGW_PORT=${RGW_PORT:-7480}
RGW_CONF=$RGW_DIR/ceph.conf
# Present only in directories this script created: nothing else is ever wiped.
RGW_MARKER=$RGW_DIR/.rx-s3-ceph
# Ceph names of the daemons, in stop order; each writes $RGW_DIR/run/<name>.pid.
RGW_DAEMONS=(client.rgw.a osd.0 mon.a)

# rgw_lock: serialize start-rgw.sh and stop-rgw.sh runs on the same RGW_DIR (the lock file sits
# next to the directory, which comes and goes). Held on fd 9 until the script exits; a stop-rgw.sh
# run by start-rgw.sh already holds it through its parent.
rgw_lock() {
  [[ ${RGW_LOCK_HELD:-} != "$RGW_DIR" ]] || return 0
  mkdir -p "$(dirname "$RGW_DIR")"
  exec 9>"$RGW_DIR.lock"
  flock -w "${1:-120}" 9 || { rgw_log "ERROR: $RGW_DIR.lock is held by another start/stop"; exit 1; }
  export RGW_LOCK_HELD=$RGW_DIR
}

rgw_log() { printf '[rx-s3-ceph %s] %s\n' "$(date +%T.%3N)" "$*" >&2; }

# rgw_live_pid NAME: prints the pid recorded for daemon NAME if that process is alive, not a zombie
# (PID 1 in a container may not reap orphans) and was started with our ceph.conf (so a recycled
# pid is never mistaken for ours).
rgw_live_pid() {
  local file=$RGW_DIR/run/$1.pid pid stat
  [[ -r $file ]] || return 1
  read -r pid <"$file" 2>/dev/null || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $RGW_CONF " || return 1
  echo "$pid"
}

# rgw_any_live: true if at least one of our daemons is still running.
rgw_any_live() {
  local d
  for d in "${RGW_DAEMONS[@]}"; do rgw_live_pid "$d" >/dev/null && return 0; done
  return 1
}

# rgw_env_value NAME: the value of `export NAME=...` in $RGW_DIR/env.
rgw_env_value() {
  sed -n "s/^export $1=//p" "$RGW_DIR/env" 2>/dev/null | head -n 1
}

# rgw_s3_answers ENDPOINT ACCESS SECRET: true if a signed ListBuckets with these keys gets an S3
# ListAllMyBucketsResult (so the endpoint is up *and* the user exists). Never through a proxy.
# curl 7.88 signs with SigV4 but does not send x-amz-content-sha256, which S3 requires: pass the
# SHA-256 of the empty body, which is what curl puts in the canonical request.
rgw_s3_answers() {
  curl --noproxy '*' -fsS -m 3 --aws-sigv4 'aws:amz:us-east-1:s3' --user "$2:$3" \
    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
    "$1/" 2>/dev/null \
    | grep -q '<ListAllMyBucketsResult'
}

# rgw_http_answers ENDPOINT: true if the endpoint answers anything in S3 XML (even an error).
rgw_http_answers() {
  curl --noproxy '*' -sS -m 3 "$1/" 2>/dev/null | grep -q '^<?xml'
}

# rgw_cluster_ready: every daemon recorded in RGW_DIR is ours and alive, and the endpoint recorded
# in $RGW_DIR/env answers with the recorded keys.
rgw_cluster_ready() {
  local d
  [[ -f $RGW_MARKER && -f $RGW_DIR/env ]] || return 1
  for d in "${RGW_DAEMONS[@]}"; do rgw_live_pid "$d" >/dev/null || return 1; done
  rgw_s3_answers "$(rgw_env_value S3_ENDPOINT)" "$(rgw_env_value S3_ACCESS_KEY)" "$(rgw_env_value S3_SECRET_KEY)"
}
