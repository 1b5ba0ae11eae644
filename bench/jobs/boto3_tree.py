#!/usr/bin/python3
"""boto3 as a user would write a directory upload or a prefix download: a thread pool over upload_file /
download_file (s3transfer underneath), 32 workers (boto3's default connection pool is 10: raised to match).

    /usr/bin/python3 bench/jobs/boto3_tree.py upload DIR BUCKET PREFIX
    /usr/bin/python3 bench/jobs/boto3_tree.py download BUCKET PREFIX DIR

Connection settings from S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
"""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

WORKERS = 32


def client():
    return boto3.client('s3', endpoint_url=os.environ['S3_ENDPOINT'], region_name=os.environ.get('AWS_REGION', 'us-east-1'),
                        config=Config(max_pool_connections=WORKERS, s3={'addressing_style': 'path'}))


def main():
    s3 = client()
    if sys.argv[1] == 'upload':
        root, bucket, prefix = sys.argv[2:5]
        paths = []
        for d, _, names in os.walk(root):
            for n in names:
                full = os.path.join(d, n)
                paths.append((full, prefix + os.path.relpath(full, root).replace(os.sep, '/')))
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda p: s3.upload_file(p[0], bucket, p[1]), paths))
    else:
        bucket, prefix, root = sys.argv[2:5]
        keys = []
        for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(o['Key'] for o in page.get('Contents', []))

        def fetch(key):
            path = os.path.join(root, key[len(prefix):])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s3.download_file(bucket, key, path)
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(fetch, keys))


main()
