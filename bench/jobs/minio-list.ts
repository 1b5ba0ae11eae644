/** List every key under `--prefix` with minio-js's `listObjectsV2` stream (recursive), counting keys. */
import { minioClient } from '../lib/minio';
import { opsArgs, runTimedOps } from '../lib/job';

const args = opsArgs();
const client = minioClient(args);
runTimedOps('minio-list', async () => undefined, () => new Promise((resolve, reject) => {
  let keys = 0;
  client.listObjectsV2(args.bucket, args.prefix, true)
    .on('data', (o) => void (o.name !== undefined && (keys += 1)))
    .on('error', reject)
    .on('end', () => resolve({ ops: keys }));
}));
