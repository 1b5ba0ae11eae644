/** List every key under `--prefix` with rx-s3's `listObjects` (one `Ok(ObjectPage)` per page), counting keys. */
import { lastValueFrom, reduce } from 'rxjs';
import { opsArgs, runTimedOps } from '../lib/job';
import { RxS3, rxConfig } from '../lib/rx';

const args = opsArgs();
const rx = new RxS3(rxConfig(args));
runTimedOps('rx-list', async () => undefined, async () => {
  const keys = await lastValueFrom(rx.listObjects(args.bucket, { prefix: args.prefix }).pipe(
    reduce((n, page) => {
      if (!page.ok) throw new Error(`listObjects failed: ${page.val.kind}: ${page.val.message}`);
      return n + page.val.objects.length;
    }, 0),
  ));
  return { ops: keys };
}, () => rx.destroy());
