/** Upload through @aws-sdk/lib-storage with its defaults (5 MiB parts, 4 at a time). */
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { jobArgs, runTransfer, sdkClient } from '../lib/job';

const args = jobArgs();
const client = sdkClient(args);
runTransfer('raw-upload', args, 'upload', async () => {
  const upload = new Upload({ client, params: { Bucket: args.bucket, Key: args.key, Body: createReadStream(args.file) } });
  await upload.done();
  return (await stat(args.file)).size;
}, () => client.destroy());
