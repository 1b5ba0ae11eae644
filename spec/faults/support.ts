/** What the fault specs share: a fault proxy per spec file, clients with short timeouts, and the "nothing left" checks. */
import { readdir } from 'node:fs/promises';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import type { RxS3, RxS3Options, S3Error, TransferProgress } from '../../lib';
import { FaultProxy } from '../support/fault-proxy';
import { makeClient } from '../support/server';

/**
 * Short timeouts so a stall is seen in a fraction of a second; the specs must never wait for the defaults. 300 ms
 * is for specs whose requests the server answers at once (HEAD, GET, LIST, small PUTs): a busy machine can take
 * longer than that to assemble a multipart upload at CompleteMultipartUpload, so upload specs use `PATIENT`.
 */
export const SHORT = { connectMs: 1_000, idleMs: 300 } as const;
/** Short timeouts for specs whose server work takes a while (CompleteMultipartUpload of several parts). */
export const PATIENT = { connectMs: 1_000, idleMs: 1_500 } as const;

/** A fault proxy in front of the suite's server for one spec file; its rules are cleared after each test. */
export function useFaultProxy(): { readonly proxy: FaultProxy } {
  const fixture = { proxy: undefined as unknown as FaultProxy };
  before(async () => {
    fixture.proxy = await FaultProxy.start();
  });
  afterEach(() => fixture.proxy.reset());
  after(async () => {
    await fixture.proxy.stop();
  });
  return fixture;
}

/**
 * A fresh client through the proxy (fresh: the SDK's retry quota is per client), with short timeouts. Destroyed
 * after the test.
 */
export function useFaultClient(fixture: { readonly proxy: FaultProxy }, overrides: RxS3Options = {}): { readonly rx: RxS3 } {
  const holder = { rx: undefined as unknown as RxS3 };
  beforeEach(() => {
    holder.rx = makeClient({ endpoint: fixture.proxy.endpoint, timeouts: SHORT, ...overrides });
  });
  afterEach(() => holder.rx.destroy());
  return holder;
}

type AnyResult = { readonly ok: boolean; readonly err: boolean; readonly val: unknown };

/** The stream emitted exactly one `Err`, as its last value, of this kind; returns it. */
export function expectOneErr(results: readonly AnyResult[], kind: string): S3Error {
  const errs = results.filter((r) => r.err);
  expect(errs, JSON.stringify(results.map((r) => (r.err ? r.val : (r.val as { kind?: string }).kind)))).to.have.length(1);
  expect(results[results.length - 1]!.err).to.equal(true);
  const error = errs[0]!.val as S3Error;
  expect(error.kind, error.message).to.equal(kind);
  return error;
}

/** Progress never goes backwards nor past the total, and the last tick (if the transfer completed) is the total. */
export function expectSaneProgress(results: readonly AnyResult[], total: number): void {
  const ticks = results.filter((r) => r.ok && (r.val as { kind: string }).kind === 'progress').map((r) => r.val as TransferProgress);
  expect(ticks.length).to.be.greaterThan(0);
  let previous = -1;
  for (const tick of ticks) {
    expect(tick.transferredBytes, 'progress went backwards').to.be.at.least(previous);
    expect(tick.transferredBytes, `progress went past the total: ${tick.transferredBytes} of ${total}`).to.be.at.most(total);
    previous = tick.transferredBytes;
  }
  const last = results[results.length - 1]!;
  if (last.ok) expect(ticks[ticks.length - 1]!.transferredBytes).to.equal(total);
}

/** Proves a multipart upload is gone (the embedded server cannot list uploads): UploadPart on it is NoSuchUpload. */
export async function expectUploadGone(rx: RxS3, bucket: string, key: string, uploadId: string): Promise<void> {
  const answer = await rx.client
    .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: Buffer.from('x') }))
    .then(() => 'accepted', (error: { name?: string }) => error.name);
  expect(answer, `upload ${uploadId} is still open`).to.equal('NoSuchUpload');
}

/** The download temp files left in a directory. */
export async function tempFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.rxs3-download'));
}

/** The UploadIds of the multipart uploads a proxy saw created (from the requests' URLs that carried one). */
export function uploadIdsSeen(urls: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const url of urls) {
    const id = new URL(url, 'http://x').searchParams.get('uploadId');
    if (id !== null) ids.add(id);
  }
  return [...ids];
}
