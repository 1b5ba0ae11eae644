#!/usr/bin/python3
"""boto3 + s3transfer jobs for the peers benchmark: the same arguments and the same JSON report line as the
Node jobs (bench/lib/job.ts).

    /usr/bin/python3 bench/jobs/boto3_job.py upload|download|list|head|puts --endpoint URL --bucket B
        [--key K] [--file PATH] [--prefix P] [--count N] [--concurrency N] [--warm-up N] [--object-size BYTES]
        [--region R] [--path-style true|false] [--warm-transfers N]

upload/download are `upload_file` / `download_file` with the default TransferConfig (8 MiB threshold and
parts, 10 threads); list is the ListObjectsV2 paginator; head is sequential head_object; puts is put_object
from a thread pool of --concurrency threads (max_pool_connections raised to match). Credentials come from
S3_ACCESS_KEY / S3_SECRET_KEY. Only the work is timed (not the interpreter start, imports or client set-up, nor
the --warm-transfers untimed transfers made first).
"""
import argparse
import json
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def peak_rss_kib(usage):
    """VmHWM on Linux: ru_maxrss carries over the RSS the parent had when it forked this process."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return usage.ru_maxrss


def main():
    p = argparse.ArgumentParser()
    p.add_argument('op', choices=['upload', 'download', 'list', 'head', 'puts'])
    p.add_argument('--endpoint', required=True)
    p.add_argument('--region', default='us-east-1')
    p.add_argument('--bucket', required=True)
    p.add_argument('--key', default='')
    p.add_argument('--file', default='')
    p.add_argument('--path-style', default='true')
    p.add_argument('--prefix', default='')
    p.add_argument('--count', type=int, default=1000)
    p.add_argument('--concurrency', type=int, default=32)
    p.add_argument('--warm-up', type=int, default=20)
    p.add_argument('--object-size', type=int, default=1024)
    p.add_argument('--warm-transfers', type=int, default=0)
    a = p.parse_args()

    config = Config(
        s3={'addressing_style': 'path' if a.path_style != 'false' else 'auto'},
        max_pool_connections=max(10, a.concurrency if a.op == 'puts' else 10),
    )
    s3 = boto3.session.Session().client(
        's3', endpoint_url=a.endpoint, region_name=a.region, config=config,
        aws_access_key_id=os.environ.get('S3_ACCESS_KEY', ''), aws_secret_access_key=os.environ.get('S3_SECRET_KEY', ''),
    )

    def head():
        s3.head_object(Bucket=a.bucket, Key=a.key)

    if a.op == 'head':
        for _ in range(a.warm_up):
            head()
    # Untimed transfers first, the same one (a process that has already moved a file), as the Node jobs do.
    for _ in range(a.warm_transfers if a.op in ('upload', 'download') else 0):
        if a.op == 'upload':
            s3.upload_file(a.file, a.bucket, a.key)
        else:
            s3.download_file(a.bucket, a.key, a.file)
            os.remove(a.file)

    extra = {}
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    moved = 0
    if a.op == 'upload':
        s3.upload_file(a.file, a.bucket, a.key)
        moved = os.stat(a.file).st_size
    elif a.op == 'download':
        s3.download_file(a.bucket, a.key, a.file)
        moved = os.stat(a.file).st_size
    elif a.op == 'list':
        keys = 0
        for page in s3.get_paginator('list_objects_v2').paginate(Bucket=a.bucket, Prefix=a.prefix):
            keys += len(page.get('Contents', []))
        extra['ops'] = keys
    elif a.op == 'head':
        lat = []
        for _ in range(a.count):
            t = time.perf_counter()
            head()
            lat.append((time.perf_counter() - t) * 1000)
        s = sorted(lat)
        at = lambda q: s[min(len(s) - 1, max(0, -(-q * len(s) // 100) - 1))]
        extra['ops'] = a.count
        extra['latencyMs'] = {'p50': at(50), 'p99': at(99), 'mean': sum(s) / len(s)}
    elif a.op == 'puts':
        body = b'x' * a.object_size

        def put(i):
            s3.put_object(Bucket=a.bucket, Key='%s%06d' % (a.prefix, i), Body=body)

        with ThreadPoolExecutor(max_workers=a.concurrency) as pool:
            for _ in pool.map(put, range(a.count)):
                pass
        extra['ops'] = a.count
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    report = {'job': 'boto3-' + a.op, 'bytes': moved, 'wallSeconds': wall, 'cpuSeconds': cpu, 'maxRSSKiB': peak_rss_kib(cpu1)}
    report.update(extra)
    sys.stdout.write(json.dumps(report) + '\n')


if __name__ == '__main__':
    main()
