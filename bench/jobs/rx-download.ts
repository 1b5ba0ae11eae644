/** Download through rx-s3's `downloadFile`. */
import { stat } from 'node:fs/promises';
import { lastValueFrom } from 'rxjs';
import { jobArgs, runTransfer } from '../lib/job';
import { RxS3, rxConfig, transferOptions } from '../lib/rx';

const args = jobArgs();
const rx = new RxS3(rxConfig(args));
runTransfer('rx-download', args, 'download', async () => {
  const last = await lastValueFrom(rx.downloadFile(args.bucket, args.key, args.file, transferOptions(args)));
  if (!last.ok) throw new Error(`downloadFile failed: ${last.val.kind}: ${last.val.message}`);
  if (last.val.kind !== 'complete') throw new Error(`downloadFile ended on a '${last.val.kind}' event`);
  return (await stat(args.file)).size;
}, () => rx.destroy());
