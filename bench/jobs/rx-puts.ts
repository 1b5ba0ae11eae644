/** `--count` small `putObject`s under `--prefix`, `--concurrency` in flight through `mergeMap`. */
import { lastValueFrom, mergeMap, range, reduce } from 'rxjs';
import { opsArgs, runTimedOps } from '../lib/job';
import { RxS3, rxConfig } from '../lib/rx';

const args = opsArgs();
const rx = new RxS3(rxConfig(args));
const body = Buffer.alloc(args.objectSize, 'x');
runTimedOps('rx-puts', async () => undefined, async () => {
  const ops = await lastValueFrom(range(0, args.count).pipe(
    mergeMap((i) => rx.putObject(args.bucket, `${args.prefix}${String(i).padStart(6, '0')}`, body), args.concurrency),
    reduce((n, r) => {
      if (!r.ok) throw new Error(`putObject failed: ${r.val.kind}: ${r.val.message}`);
      return n + 1;
    }, 0),
  ));
  return { ops };
}, () => rx.destroy());
