/** `--count` sequential raw HeadObject of one key (after `--warm-up` untimed ones), each one timed. */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { opsArgs, runTimedOps, sdkClient } from '../lib/job';

const args = opsArgs();
const client = sdkClient(args);
const head = async (): Promise<void> => {
  await client.send(new HeadObjectCommand({ Bucket: args.bucket, Key: args.key }));
};
runTimedOps('raw-head', async () => {
  for (let i = 0; i < args.warmUp; i++) await head();
}, async () => {
  const latenciesMs: number[] = [];
  for (let i = 0; i < args.count; i++) {
    const t = performance.now();
    await head();
    latenciesMs.push(performance.now() - t);
  }
  return { ops: args.count, latenciesMs };
}, () => client.destroy());
