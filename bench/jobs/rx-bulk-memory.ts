/**
 * A sync of `--prefix`src/ onto `--prefix`dst/ (both hold the same `--count` keys) with rx-s3's `sync`, S3 to
 * S3: both listings streamed and merged, every key found unchanged. Reports keys compared and peak RSS.
 */
import { lastValueFrom, reduce } from 'rxjs';
import { opsArgs, runTimedOps } from '../lib/job';
import { RxS3, rxConfig } from '../lib/rx';

const args = opsArgs();
const rx = new RxS3(rxConfig(args));
runTimedOps('rx-bulk-memory', async () => undefined, async () => {
  const skipped = await lastValueFrom(
    rx.sync({ from: { bucket: args.bucket, prefix: `${args.prefix}src/` }, to: { bucket: args.bucket, prefix: `${args.prefix}dst/` } }).pipe(
      reduce((n, result) => {
        if (!result.ok) throw new Error(`sync failed: ${result.val.kind}: ${result.val.message}`);
        if (result.val.kind === 'planned' || result.val.kind === 'started') throw new Error(`unexpected ${result.val.kind} of ${result.val.key}`);
        return result.val.kind === 'skipped' ? n + 1 : n;
      }, 0),
    ),
  );
  if (skipped !== args.count) throw new Error(`compared ${skipped} keys, not ${args.count}`);
  return { ops: skipped };
}, () => rx.destroy());
