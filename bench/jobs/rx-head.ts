/** `--count` sequential `getObjectMetadata` of one key (after `--warm-up` untimed ones), each one timed. */
import { lastValueFrom } from 'rxjs';
import { opsArgs, runSequentialOps } from '../lib/job';
import { RxS3, rxConfig } from '../lib/rx';

const args = opsArgs();
const rx = new RxS3(rxConfig(args));
const head = async (): Promise<void> => {
  const r = await lastValueFrom(rx.getObjectMetadata(args.bucket, args.key));
  if (!r.ok) throw new Error(`getObjectMetadata failed: ${r.val.kind}: ${r.val.message}`);
};
runSequentialOps('rx-head', args, head, () => rx.destroy());
