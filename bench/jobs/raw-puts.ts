/** `--count` small raw PutObjects under `--prefix`, `--concurrency` in flight through a promise pool. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { opsArgs, runTimedOps, sdkClient } from '../lib/job';

const args = opsArgs();
const client = sdkClient(args);
const body = Buffer.alloc(args.objectSize, 'x');
runTimedOps('raw-puts', async () => undefined, async () => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < args.count) {
      const i = next++;
      await client.send(new PutObjectCommand({ Bucket: args.bucket, Key: `${args.prefix}${String(i).padStart(6, '0')}`, Body: body }));
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  return { ops: args.count };
}, () => client.destroy());
