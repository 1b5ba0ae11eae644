/** Upload through minio-js's `fPutObject` (its defaults: one PUT up to 64 MiB, else sequential 64 MiB parts). */
import { stat } from 'node:fs/promises';
import { jobArgs, runTransfer } from '../lib/job';
import { minioClient } from '../lib/minio';

const args = jobArgs();
const client = minioClient(args);
runTransfer('minio-upload', args, 'upload', async () => {
  await client.fPutObject(args.bucket, args.key, args.file, {});
  return (await stat(args.file)).size;
});
