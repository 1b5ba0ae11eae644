/**
 * `npm run example:web`: a web page that uploads files through rx-s3 and watches the transfers live.
 *
 * Starts the embedded S3 server (fauxqs) in this process on 127.0.0.1, or with `S3_ENDPOINT` (and
 * `S3_ACCESS_KEY`, `S3_SECRET_KEY`, `S3_REGION`) uses that endpoint; creates a bucket; serves the page on
 * http://127.0.0.1:8080 (`PORT` to change it). Ctrl-C deletes the bucket's objects, the bucket and the job's files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatMap, lastValueFrom, toArray } from 'rxjs';
import { filterResultOk, RxS3 } from '../../../lib';
import { rxOptions, startServer, stopServer } from '../../../spec/support/server';
import { createApp } from './app';

async function main(): Promise<void> {
  const s3 = await startServer();
  const rx = new RxS3(rxOptions());
  const bucket = `rxs3-web-${Date.now().toString(36)}`;
  const created = await lastValueFrom(rx.createBucket(bucket));
  if (created.err) throw new Error(`createBucket: ${created.val.message}`);
  const downloadDirectory = await mkdtemp(join(tmpdir(), 'rx-s3-web-'));

  const app = createApp({ rx, bucket, downloadDirectory });
  const port = Number(process.env.PORT ?? 8080);
  await new Promise<void>((resolve) => app.listen(port, '127.0.0.1', resolve));
  console.log(`S3: ${s3.kind} at ${s3.endpoint}, bucket ${bucket}; the job writes to ${downloadDirectory}`);
  console.log(`Open http://127.0.0.1:${port}/ (Ctrl-C to stop)`);

  process.once('SIGINT', () => {
    app.closeAllConnections();
    app.close();
    void (async () => {
      await rx.flushCleanups();
      // Leave nothing behind: the uploaded objects, the bucket, the downloaded files.
      await lastValueFrom(
        rx.listObjects(bucket).pipe(filterResultOk(), concatMap((page) => rx.deleteObjects(bucket, page.objects.map((o) => o.key))), toArray()),
      );
      await lastValueFrom(rx.deleteBucket(bucket));
      await rm(downloadDirectory, { recursive: true, force: true });
      rx.destroy();
      await stopServer();
      process.exit(130);
    })();
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
