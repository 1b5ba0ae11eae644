import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { expect } from 'chai';
import sinon from 'sinon';
import type { RxS3 } from '../../lib';
import { makeClient } from './server';

/** A bucket name unique to this run. */
export function uniqueBucket(label: string): string {
  return `rxs3-${label}-${randomBytes(4).toString('hex')}`.toLowerCase().slice(0, 63);
}

/**
 * Gives a spec file its own client and bucket: created before its tests, emptied and deleted after (with the
 * raw SDK, so a bug in rx-s3 cannot hide debris).
 */
export function useBucket(label: string): { readonly rx: RxS3; readonly bucket: string } {
  const fixture = { rx: undefined as unknown as RxS3, bucket: uniqueBucket(label) };
  before(async () => {
    fixture.rx = makeClient();
    await fixture.rx.client.send(new CreateBucketCommand({ Bucket: fixture.bucket }));
  });
  after(async () => {
    await removeBucket(fixture.rx.client, fixture.bucket);
    fixture.rx.destroy();
  });
  return fixture;
}

/** Empties (objects and open multipart uploads) and deletes a bucket; a missing bucket is fine. */
export async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket })).catch(() => ({ Uploads: [] }));
    for (const u of uploads.Uploads ?? []) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'NoSuchBucket') throw error;
  }
}

/** Every value an Observable emits, once it completed (it must complete, not error). */
export function collect<T>(source$: Observable<T>): Promise<T[]> {
  return lastValueFrom(source$.pipe(toArray()));
}

/** A temp directory for one spec file, removed after it. */
export function useTempDir(): { readonly path: string } {
  const fixture = { path: '' };
  before(async () => {
    fixture.path = await mkdtemp(join(tmpdir(), 'rx-s3-spec-'));
  });
  after(async () => {
    await rm(fixture.path, { recursive: true, force: true });
  });
  return fixture;
}

/** Spies on every request the client sends (a spy only: the requests still reach the real server). */
export function spySend(rx: RxS3): sinon.SinonSpy {
  return sinon.spy(rx.client, 'send');
}

/** The names of the commands a send spy saw, in order (e.g. ['HeadObjectCommand', 'CopyObjectCommand']). */
export function commandNames(spy: sinon.SinonSpy): string[] {
  return spy.getCalls().map((call) => (call.args[0] as object).constructor.name);
}

/** Deterministic pseudo-random bytes. */
/**
 * After a cancelled multipart write seen by `spy`: asserts AbortMultipartUpload was sent and
 * CompleteMultipartUpload was not, and returns the UploadId that CreateMultipartUpload answered.
 */
export async function abortedUploadId(spy: sinon.SinonSpy): Promise<string | undefined> {
  const created = spy.getCalls().find((c) => (c.args[0] as object).constructor.name === 'CreateMultipartUploadCommand');
  const uploadId = ((await created?.returnValue) as { UploadId?: string } | undefined)?.UploadId;
  expect(commandNames(spy)).to.include('AbortMultipartUploadCommand');
  expect(commandNames(spy)).to.not.include('CompleteMultipartUploadCommand');
  return uploadId;
}

export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Asserts that each operation emits exactly one `Err` of `kind` and that the client sent no request at all:
 * the check happened locally.
 */
export async function expectRejectedLocally(rx: RxS3, kind: string, operations: ReadonlyArray<Observable<unknown>>): Promise<void> {
  const spy = spySend(rx);
  try {
    for (const op$ of operations) {
      const results = (await collect(op$)) as Array<{ err: boolean; val: { kind: string } }>;
      expect(results).to.have.length(1);
      expect(results[0]!.err && results[0]!.val.kind).to.equal(kind);
    }
    expect(spy.callCount, 'requests sent').to.equal(0);
  } finally {
    spy.restore();
  }
}

/** The client's real `send`, handed to a fake so it can pass requests on to the server. */
export type RealSend = (command: unknown, options?: unknown) => Promise<Record<string, unknown>>;

/**
 * Fault injection: replaces `rx.client.send` by `fake`, which receives the real `send` to pass requests on (the
 * server stays real). Undo with the returned stub's `restore()`.
 */
export function interceptSend(rx: RxS3, fake: (command: unknown, options: unknown, send: RealSend) => Promise<unknown>): sinon.SinonStub {
  const send = rx.client.send.bind(rx.client) as RealSend;
  return sinon.stub(rx.client, 'send').callsFake((command: unknown, options?: unknown) => fake(command, options, send));
}

/** Deletes every version and delete marker in a (versioned) bucket, then the bucket, with the raw SDK. */
export async function removeVersionedBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    for (;;) {
      const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
      const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
      if (objects.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    }
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchBucket') return;
    // A server without versions (the embedded one): the plain clean-up below empties the bucket.
  }
  await removeBucket(client, bucket);
}
