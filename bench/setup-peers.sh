#!/usr/bin/env bash
# Installs the peers the `peers` benchmarks compare rx-s3 with, when they are missing:
#   - boto3 + s3transfer (Debian python3-boto3), run with /usr/bin/python3
#   - the AWS CLI (Debian awscli), run as /usr/bin/aws
#   - rclone (Debian rclone), run as /usr/bin/rclone (the `tree` benchmark)
# minio-js and the AWS SDK for JavaScript come from package.json (npm install).
#
#   bash bench/setup-peers.sh          # installs with apt-get when root; otherwise says what is missing
#
# Exit code 0 even when something could not be installed: the benchmark then skips that peer and says so.
set -uo pipefail

missing=()
/usr/bin/python3 -c 'import boto3, s3transfer' 2>/dev/null || missing+=(python3-boto3)
[[ -x /usr/bin/aws ]] || missing+=(awscli)
[[ -x /usr/bin/rclone ]] || missing+=(rclone)

if ((${#missing[@]} == 0)); then
  echo "setup-peers: boto3 $(/usr/bin/python3 -c 'import boto3; print(boto3.__version__)'), $(/usr/bin/aws --version 2>&1 | head -1), $(/usr/bin/rclone --version 2>&1 | head -1)" >&2
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "setup-peers: missing ${missing[*]}; not root, so not installing (run: sudo apt-get install -y --no-install-recommends ${missing[*]})" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "setup-peers: missing ${missing[*]} and no apt-get here; those peers will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
echo "setup-peers: installing ${missing[*]}" >&2
if ! apt-cache policy "${missing[0]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  apt-get update -q -o DPkg::Lock::Timeout=300 >&2
fi
if ! apt-get install "${apt_opts[@]}" "${missing[@]}" >&2; then
  echo "setup-peers: install failed; refreshing package lists and retrying" >&2
  apt-get update -q -o DPkg::Lock::Timeout=300 >&2
  apt-get install "${apt_opts[@]}" "${missing[@]}" >&2 || echo "setup-peers: could not install ${missing[*]}; those peers will be skipped" >&2
fi
exit 0
