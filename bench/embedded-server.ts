/**
 * The embedded S3 server of the test suite (fauxqs 1.9.2, in memory), run as its own process for benchmarks, so
 * its CPU is not the client's. Listens on 127.0.0.1 (free port) like spec/support/server.ts.
 *
 *   node --import tsx bench/embedded-server.ts [--exit-with-stdin]
 *
 * Prints `{"endpoint":"http://127.0.0.1:PORT"}` once listening. Then reads JSON commands, one per line, on stdin
 * and answers each with one JSON line on stdout:
 *   {"populate":{"bucket":"b","prefix":"p/","count":100000}}  stores `count` empty objects `p/0000000`... straight
 *                                                               into its store (no HTTP), answers {"ok":true}
 * Exits when stdin closes (the harness died) or on SIGTERM.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

interface S3StoreLike {
  createBucket(name: string): void;
  putObject(bucket: string, key: string, body: Buffer): unknown;
}
interface App {
  listen(o: { port: number; host: string }): Promise<string>;
  close(): Promise<unknown>;
  server: { address(): unknown };
}

async function main(): Promise<void> {
  // fauxqs exports only buildApp; its stores are loaded from its files so the harness can fill the S3 store directly.
  const dist = path.join(__dirname, '..', 'node_modules', 'fauxqs', 'dist'); // its `exports` hide every other path
  const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(dist, file)).href)) as T;
  const { buildApp } = await load<{ buildApp(o: object): App }>('app.js');
  const { S3Store } = await load<{ S3Store: new () => S3StoreLike }>('s3/s3Store.js');
  const { SqsStore } = await load<{ SqsStore: new () => object }>('sqs/sqsStore.js');
  const { SnsStore } = await load<{ SnsStore: new () => object }>('sns/snsStore.js');
  const s3Store = new S3Store();
  const app = buildApp({ logger: false, stores: { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${port}` })}\n`);

  const stop = (): void => void app.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop).once('SIGINT', stop);
  const empty = Buffer.alloc(0);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = JSON.parse(line) as { populate?: { bucket: string; prefix: string; count: number } };
    if (command.populate) {
      const { bucket, prefix, count } = command.populate;
      s3Store.createBucket(bucket);
      for (let i = 0; i < count; i++) s3Store.putObject(bucket, `${prefix}${String(i).padStart(7, '0')}`, empty);
    }
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
  });
  lines.once('close', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
