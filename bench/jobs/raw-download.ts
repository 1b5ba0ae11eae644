/** Download with one GetObject, its Body piped to a file. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { jobArgs, runTransfer, sdkClient } from '../lib/job';

const args = jobArgs();
const client = sdkClient(args);
runTransfer('raw-download', args, 'download', async () => {
  const out = await client.send(new GetObjectCommand({ Bucket: args.bucket, Key: args.key }));
  // In Node the Body is an IncomingMessage (a Readable) with the SDK's helpers mixed in.
  await pipeline(out.Body as Readable, createWriteStream(args.file));
  return (await stat(args.file)).size;
}, () => client.destroy());
