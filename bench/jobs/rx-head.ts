/** `--count` sequential `getObjectMetadata` of one key (after `--warm-up` untimed ones), each one timed. */
import { lastValueFrom } from 'rxjs';
import { RxS3 } from '../../lib/index';
import { opsArgs, runTimedOps } from '../lib/job';
import { rxConfig } from '../lib/rx';

const args = opsArgs();
const rx = new RxS3(rxConfig(args));
const head = async (): Promise<void> => {
  const r = await lastValueFrom(rx.getObjectMetadata(args.bucket, args.key));
  if (!r.ok) throw new Error(`getObjectMetadata failed: ${r.val.kind}: ${r.val.message}`);
};
runTimedOps('rx-head', async () => {
  for (let i = 0; i < args.warmUp; i++) await head();
}, async () => {
  const latenciesMs: number[] = [];
  for (let i = 0; i < args.count; i++) {
    const t = performance.now();
    await head();
    latenciesMs.push(performance.now() - t);
  }
  return { ops: args.count, latenciesMs };
}, () => rx.destroy());
