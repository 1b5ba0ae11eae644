/** Upload through rx-s3's `uploadFile`. */
import { stat } from 'node:fs/promises';
import { lastValueFrom } from 'rxjs';
import { jobArgs, runTransfer } from '../lib/job';
import { RxS3, rxConfig, transferOptions } from '../lib/rx';

const args = jobArgs();
const rx = new RxS3(rxConfig(args));
runTransfer('rx-upload', args, 'upload', async () => {
  const last = await lastValueFrom(rx.uploadFile(args.bucket, args.key, args.file, transferOptions(args)));
  if (!last.ok) throw new Error(`uploadFile failed: ${last.val.kind}: ${last.val.message}`);
  if (last.val.kind !== 'complete') throw new Error(`uploadFile ended on a '${last.val.kind}' event`);
  return (await stat(args.file)).size;
}, () => rx.destroy());
