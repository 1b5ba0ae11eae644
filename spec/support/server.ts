import { S3Client } from '@aws-sdk/client-s3';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { RxS3, type RxS3Options } from '../../lib';

/** The S3 server the suite runs against: the embedded one, or the endpoint in S3_ENDPOINT. */
export interface TestServer {
  readonly kind: 'embedded' | 'external';
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
  /** True when the server rejects bad signatures (probed at start); signature and expiry specs need it. */
  readonly verifiesAuth: boolean;
  /** A second user's keys (S3_OTHER_ACCESS_KEY / S3_OTHER_SECRET_KEY), for specs about another owner's bucket. */
  readonly otherUser: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

interface Closable {
  close(): Promise<unknown>;
}

let current: TestServer | undefined;
let embedded: Closable | undefined;

/** Starts the embedded server (fauxqs, in-process, 127.0.0.1, free port) unless S3_ENDPOINT names another. */
export async function startServer(): Promise<TestServer> {
  const external = process.env.S3_ENDPOINT;
  if (external !== undefined && external !== '') {
    const base = {
      kind: 'external' as const,
      endpoint: external,
      region: process.env.S3_REGION ?? 'us-east-1',
      accessKeyId: process.env.S3_ACCESS_KEY ?? '',
      secretAccessKey: process.env.S3_SECRET_KEY ?? '',
      forcePathStyle: (process.env.S3_FORCE_PATH_STYLE ?? 'true') !== 'false',
    };
    const otherKey = process.env.S3_OTHER_ACCESS_KEY;
    const otherSecret = process.env.S3_OTHER_SECRET_KEY;
    const otherUser = otherKey && otherSecret ? { accessKeyId: otherKey, secretAccessKey: otherSecret } : undefined;
    current = { ...base, verifiesAuth: await probeAuth(base), otherUser };
    return current;
  }
  // fauxqs is an ES module; a dynamic import keeps this file loadable from CommonJS.
  const { buildApp } = (await import('fauxqs')) as { buildApp(o: { logger: boolean }): Closable & { listen(o: { port: number; host: string }): Promise<string>; server: { address(): unknown } } };
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  embedded = app;
  current = {
    kind: 'embedded',
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    accessKeyId: 'test',
    secretAccessKey: 'test',
    forcePathStyle: true,
    verifiesAuth: false,
    otherUser: undefined,
  };
  return current;
}

export async function stopServer(): Promise<void> {
  await embedded?.close();
  embedded = undefined;
}

export function server(): TestServer {
  if (current === undefined) throw new Error('the test server is not started (spec/support/hooks.ts)');
  return current;
}

/** RxS3 options for the test server; `overrides` win. */
export function rxOptions(overrides: RxS3Options = {}): RxS3Options {
  const s = server();
  return {
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    ...overrides,
  };
}

/** A fresh RxS3 against the test server. */
export function makeClient(overrides: RxS3Options = {}): RxS3 {
  return new RxS3(rxOptions(overrides));
}

/** Does the server refuse a request signed with the wrong secret? */
async function probeAuth(s: Omit<TestServer, 'verifiesAuth' | 'otherUser'>): Promise<boolean> {
  const client = new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: `${s.secretAccessKey}-wrong` },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListBucketsCommand({}));
    return false;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403;
  } finally {
    client.destroy();
  }
}
