/** `--count` sequential minio-js `statObject` of one key (after `--warm-up` untimed ones), each one timed. */
import { minioClient } from '../lib/minio';
import { opsArgs, runTimedOps } from '../lib/job';

const args = opsArgs();
const client = minioClient(args);
const head = async (): Promise<void> => {
  await client.statObject(args.bucket, args.key);
};
runTimedOps('minio-head', async () => {
  for (let i = 0; i < args.warmUp; i++) await head();
}, async () => {
  const latenciesMs: number[] = [];
  for (let i = 0; i < args.count; i++) {
    const t = performance.now();
    await head();
    latenciesMs.push(performance.now() - t);
  }
  return { ops: args.count, latenciesMs };
});
