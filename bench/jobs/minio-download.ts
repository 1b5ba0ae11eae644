/** Download through minio-js's `fGetObject` (StatObject, then one GET streamed to a `.part.minio` file, renamed). */
import { stat } from 'node:fs/promises';
import { jobArgs, runTransfer } from '../lib/job';
import { minioClient } from '../lib/minio';

const args = jobArgs();
const client = minioClient(args);
runTransfer('minio-download', args, 'download', async () => {
  await client.fGetObject(args.bucket, args.key, args.file);
  return (await stat(args.file)).size;
});
