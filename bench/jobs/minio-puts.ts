/** `--count` small minio-js `putObject`s (Buffer bodies) under `--prefix`, `--concurrency` in flight (a promise pool). */
import { minioClient } from '../lib/minio';
import { opsArgs, runTimedOps } from '../lib/job';

const args = opsArgs();
const client = minioClient(args);
const body = Buffer.alloc(args.objectSize, 'x');
runTimedOps('minio-puts', async () => undefined, async () => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < args.count) {
      const i = next++;
      await client.putObject(args.bucket, `${args.prefix}${String(i).padStart(6, '0')}`, body, body.length);
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  return { ops: args.count };
});
