import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import { expect } from 'chai';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { Result, S3Error } from '../../lib';
import { bytes, collect, commandNames, expectRejectedLocally, spySend, useBucket, useTempDir } from '../support/fixtures';
import { server } from '../support/server';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
/** The values' kinds without progress ticks (`ok` for a value without a kind, `err:<kind>` for an Err). */
const kinds = (results: ReadonlyArray<Result<unknown, S3Error>>): string[] =>
  results.map((r) => (r.ok ? ((r.val as { kind?: string }).kind ?? 'ok') : `err:${r.val.kind}`)).filter((k) => k !== 'progress');

/** Skips a spec on the embedded server, saying why in its title. */
function onRealServer(context: Mocha.Context, reason: string): void {
  if (server().kind !== 'embedded') return;
  context.test!.title += ` [skipped: ${reason}]`;
  context.skip();
}

describe('server-side encryption, tags, conditional writes', () => {
  const fx = useBucket('sse');
  const dir = useTempDir();
  const key = randomBytes(32);
  const otherKey = randomBytes(32);

  describe('SSE-C: the customer key on every request', () => {
    const SSE_C = 'the embedded server ignores SSE-C keys, so it cannot prove them; runs on Ceph (rgw_crypt_require_ssl = false)';

    it('putObject encrypts; a read without the key is refused, with it the bytes come back', async function () {
      onRealServer(this, SSE_C);
      expect(kinds(await collect(fx.rx.putObject(fx.bucket, 'secret.txt', 'for your eyes', { sseCustomerKey: key })))).to.deep.equal(['ok']);
    });

    it('uploadFile in parts, downloadFile in ranges, getObject, getObjectMetadata and copy all carry the key', async function () {
      onRealServer(this, SSE_C);
      const data = bytes(2 * PART + 7, 5);
      const source = join(dir.path, 'ssec.bin');
      await writeFile(source, data);
      const spy = spySend(fx.rx);
      try {
        const up = await collect(fx.rx.uploadFile(fx.bucket, 'ssec.bin', source, { partSize: PART, sseCustomerKey: key }));
        expect(kinds(up)).to.deep.equal(['complete']);
        const target = join(dir.path, 'ssec.out');
        const down = await collect(fx.rx.downloadFile(fx.bucket, 'ssec.bin', target, { partSize: PART, sseCustomerKey: key }));
        expect(kinds(down)).to.deep.equal(['complete']);
        expect((await readFile(target)).equals(data)).to.equal(true);
        // Every part, every range and every HEAD carried the key.
        const keyed = spy.getCalls().filter((c) => [UploadPartCommand, GetObjectCommand, HeadObjectCommand].some((t) => c.args[0] instanceof t));
        expect(keyed.length).to.be.greaterThan(4);
        expect(keyed.every((c) => (c.args[0] as { input: { SSECustomerKey?: string } }).input.SSECustomerKey === key.toString('base64'))).to.equal(true);
      } finally {
        spy.restore();
      }
      const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'ssec.bin', { sseCustomerKey: key }));
      expect(head!.unwrap().contentLength).to.equal(data.length);
      const [noKey] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'ssec.bin'));
      expect(noKey!.err).to.equal(true);
      const [withKey] = await collect(fx.rx.getObject(fx.bucket, 'secret.txt', { sseCustomerKey: key, range: { start: 4, end: 7 } }));
      expect(await text(withKey!.unwrap().body)).to.equal('your');
      const [wrong] = await collect(fx.rx.getObject(fx.bucket, 'secret.txt', { sseCustomerKey: otherKey }));
      expect(wrong!.err).to.equal(true);
      const streamed = await collect(fx.rx.downloadStream(fx.bucket, 'ssec.bin', { sseCustomerKey: key }));
      const chunks = streamed.flatMap((r) => (r.ok && r.val.kind === 'data' ? [r.val.chunk] : []));
      expect(Buffer.concat(chunks).equals(data)).to.equal(true);
    });

    // Ceph 16 refuses UploadPartCopy between two different customer keys (InvalidArgument: "calculated MD5 hash of
    // the key did not match"), and CopyObject of any encrypted source (501): the copy here keeps the key, in parts.
    it('copies send the source key as the copy-source key and the target key, on every part', async function () {
      onRealServer(this, SSE_C);
      const spy = spySend(fx.rx);
      try {
        const copy = await collect(
          fx.rx.copyObject({ bucket: fx.bucket, key: 'ssec.bin' }, { bucket: fx.bucket, key: 'ssec-copy.bin' }, { sourceSseCustomerKey: key, sseCustomerKey: key, multipartThreshold: PART, partSize: PART }),
        );
        expect(kinds(copy)).to.deep.equal(['complete']);
        const parts = spy.getCalls().filter((c) => c.args[0] instanceof UploadPartCopyCommand).map((c) => (c.args[0] as UploadPartCopyCommand).input);
        expect(parts).to.have.length(3);
        expect(parts.every((p) => p.CopySourceSSECustomerKey === key.toString('base64') && p.SSECustomerKey === key.toString('base64'))).to.equal(true);
      } finally {
        spy.restore();
      }
      const [got] = await collect(fx.rx.getObject(fx.bucket, 'ssec-copy.bin', { sseCustomerKey: key }));
      expect((await buffer(got!.unwrap().body)).equals(bytes(2 * PART + 7, 5))).to.equal(true);
    });

    it('moveObject of an SSE-C object verifies against the copy\'s answer (its ETag is not the source\'s) and deletes the source', async function () {
      onRealServer(this, SSE_C);
      // Ceph 16 answers CopyObject of an encrypted source with 501 NotImplemented; UploadPartCopy works, so the
      // move goes in parts (threshold 0).
      const events = await collect(fx.rx.moveObject({ bucket: fx.bucket, key: 'ssec-copy.bin' }, { bucket: fx.bucket, key: 'ssec-moved.bin' }, { sourceSseCustomerKey: key, sseCustomerKey: key, multipartThreshold: 0 }));
      expect(kinds(events)).to.deep.equal(['copied', 'deleted']);
      const [gone] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'ssec-copy.bin', { sseCustomerKey: key }));
      expect(gone!.err && gone!.val.kind).to.equal('NoSuchKey');
    });
  });

  describe('SSE-S3 / SSE-KMS headers pass through (params)', () => {
    it('put, upload and copy send ServerSideEncryption and SSEKMSKeyId as given [any server]', async () => {
      const spy = spySend(fx.rx);
      const params = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'testkey-1' } as const;
      try {
        // The embedded server ignores the headers; the spy proves they were sent, the Ceph spec below that they act.
        await collect(fx.rx.putObject(fx.bucket, 'kms-sent', 'x', { params }));
        const source = join(dir.path, 'kms.bin');
        await writeFile(source, bytes(PART + 1));
        await collect(fx.rx.uploadFile(fx.bucket, 'kms-upload', source, { partSize: PART, params }));
        await collect(fx.rx.copyObject({ bucket: fx.bucket, key: 'kms-upload' }, { bucket: fx.bucket, key: 'kms-copy' }, { params }));
        const inputs = spy.getCalls().map((c) => c.args[0] as { constructor: { name: string }; input: Record<string, unknown> });
        for (const name of ['PutObjectCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand']) {
          const sent = inputs.find((c) => c.constructor.name === name);
          expect(sent?.input, name).to.include({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'testkey-1' });
        }
      } finally {
        spy.restore();
      }
    });

    it('SSE-KMS objects are encrypted, and a move of one verifies and deletes the source', async function () {
      onRealServer(this, 'the embedded server has no KMS; Ceph runs its "testing" key store');
      const params = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'testkey-1' } as const;
      await collect(fx.rx.putObject(fx.bucket, 'kms.txt', 'kms data', { params }));
      const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'kms.txt'));
      expect(head!.unwrap().raw.ServerSideEncryption).to.equal('aws:kms');
      // A copy of an SSE-KMS object gets a new ETag: the move compares the target with the copy's answer.
      const events = await collect(fx.rx.moveObject({ bucket: fx.bucket, key: 'kms.txt' }, { bucket: fx.bucket, key: 'kms-moved.txt' }, { params, multipartThreshold: 0 }));
      expect(kinds(events)).to.deep.equal(['copied', 'deleted']);
      const [got] = await collect(fx.rx.getObject(fx.bucket, 'kms-moved.txt'));
      expect(got!.unwrap().raw.ServerSideEncryption).to.equal('aws:kms');
      expect(await text(got!.unwrap().body)).to.equal('kms data');
    });
  });

  describe('tags', () => {
    const TAGS = 'the embedded server does not answer GetObjectTagging; runs on Ceph';

    it('putObject, uploadFile (in parts) and copyObject write tags; getObjectTagging reads them', async function () {
      onRealServer(this, TAGS);
      await collect(fx.rx.putObject(fx.bucket, 'tagged', 'x', { tags: { team: 'data', tier: 'gold' } }));
      const [tags] = await collect(fx.rx.getObjectTagging(fx.bucket, 'tagged'));
      expect(tags!.unwrap().tags).to.deep.equal({ team: 'data', tier: 'gold' });
      const source = join(dir.path, 'tagged.bin');
      await writeFile(source, bytes(PART + 1));
      await collect(fx.rx.uploadFile(fx.bucket, 'tagged-upload', source, { partSize: PART, tags: { big: 'yes' } }));
      expect((await collect(fx.rx.getObjectTagging(fx.bucket, 'tagged-upload')))[0]!.unwrap().tags).to.deep.equal({ big: 'yes' });
      await collect(fx.rx.copyObject({ bucket: fx.bucket, key: 'tagged' }, { bucket: fx.bucket, key: 'tagged-copy' }));
      expect((await collect(fx.rx.getObjectTagging(fx.bucket, 'tagged-copy')))[0]!.unwrap().tags).to.deep.equal({ team: 'data', tier: 'gold' });
      await collect(fx.rx.copyObject({ bucket: fx.bucket, key: 'tagged' }, { bucket: fx.bucket, key: 'retagged' }, { tags: { team: 'web' } }));
      expect((await collect(fx.rx.getObjectTagging(fx.bucket, 'retagged')))[0]!.unwrap().tags).to.deep.equal({ team: 'web' });
    });

    it('putObjectTagging replaces the tags; {} removes them', async function () {
      onRealServer(this, TAGS);
      const [set] = await collect(fx.rx.putObjectTagging(fx.bucket, 'tagged', { state: 'archived' }));
      expect(set!.unwrap().tags).to.deep.equal({ state: 'archived' });
      expect((await collect(fx.rx.getObjectTagging(fx.bucket, 'tagged')))[0]!.unwrap().tags).to.deep.equal({ state: 'archived' });
      await collect(fx.rx.putObjectTagging(fx.bucket, 'tagged', {}));
      expect((await collect(fx.rx.getObjectTagging(fx.bucket, 'tagged')))[0]!.unwrap().tags).to.deep.equal({});
      const [missing] = await collect(fx.rx.getObjectTagging(fx.bucket, 'no-such-key'));
      expect(missing!.err && missing!.val.kind).to.equal('NoSuchKey');
    });
  });

  describe("ifNoneMatch: '*' (create only if absent)", () => {
    it('putObject writes a new key, then refuses to overwrite it: Err(PreconditionFailed), content unchanged [any server]', async () => {
      expect(kinds(await collect(fx.rx.putObject(fx.bucket, 'once', 'first', { ifNoneMatch: '*' })))).to.deep.equal(['ok']);
      const second = await collect(fx.rx.putObject(fx.bucket, 'once', 'second', { ifNoneMatch: '*' }));
      expect(kinds(second)).to.deep.equal(['err:PreconditionFailed']);
      const [got] = await collect(fx.rx.getObject(fx.bucket, 'once'));
      expect(await text(got!.unwrap().body)).to.equal('first');
    });

    it('uploadFile (multipart) refuses an existing key before sending any part, and leaves it unchanged [any server]', async () => {
      // The key exists (the test above wrote it; written here too when this test runs alone).
      await collect(fx.rx.putObject(fx.bucket, 'once', 'first', { ifNoneMatch: '*' }));
      const source = join(dir.path, 'once.bin');
      await writeFile(source, bytes(PART + 1));
      const spy = spySend(fx.rx);
      let results;
      try {
        results = await collect(fx.rx.uploadFile(fx.bucket, 'once', source, { partSize: PART, ifNoneMatch: '*' }));
        expect(commandNames(spy)).to.deep.equal(['HeadObjectCommand']);
      } finally {
        spy.restore();
      }
      expect(kinds(results)).to.deep.equal(['err:PreconditionFailed']);
      const [got] = await collect(fx.rx.getObject(fx.bucket, 'once'));
      expect(await text(got!.unwrap().body)).to.equal('first');
      // A new key goes through, with If-None-Match on the completion (AWS S3 checks it there, atomically).
      const spy2 = spySend(fx.rx);
      try {
        expect(kinds(await collect(fx.rx.uploadFile(fx.bucket, 'fresh', source, { partSize: PART, ifNoneMatch: '*' })))).to.deep.equal(['complete']);
        const complete = spy2.getCalls().find((c) => c.args[0] instanceof CompleteMultipartUploadCommand)!.args[0] as CompleteMultipartUploadCommand;
        expect(complete.input.IfNoneMatch).to.equal('*');
      } finally {
        spy2.restore();
      }
    });
  });

  describe('params: the SDK\'s own fields, typed options win', () => {
    it('CacheControl and ContentDisposition pass through; contentType beats params.ContentType [any server]', async () => {
      const spy = spySend(fx.rx);
      try {
        await collect(fx.rx.putObject(fx.bucket, 'params', 'x', { contentType: 'text/plain', params: { ContentType: 'image/png', CacheControl: 'no-store', ContentDisposition: 'attachment' } }));
        const sent = spy.getCalls().find((c) => c.args[0] instanceof PutObjectCommand)!.args[0] as PutObjectCommand;
        expect(sent.input).to.include({ ContentType: 'text/plain', CacheControl: 'no-store', ContentDisposition: 'attachment', Bucket: fx.bucket, Key: 'params' });
        await collect(fx.rx.copyObject({ bucket: fx.bucket, key: 'params' }, { bucket: fx.bucket, key: 'params-copy' }, { params: { StorageClass: 'STANDARD' } }));
        const copy = spy.getCalls().find((c) => c.args[0] instanceof CopyObjectCommand)!.args[0] as CopyObjectCommand;
        expect(copy.input.StorageClass).to.equal('STANDARD');
      } finally {
        spy.restore();
      }
      // Stored and answered by a real server (the embedded one keeps no Cache-Control).
      if (server().kind === 'embedded') return;
      const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'params'));
      expect(head!.unwrap().raw.CacheControl).to.equal('no-store');
    });
  });

  it('rejects bad keys, tags and ifNoneMatch values before any request [any server]', async () => {
    await expectRejectedLocally(fx.rx, 'InvalidInput', [
      fx.rx.putObject(fx.bucket, 'k', 'x', { sseCustomerKey: randomBytes(16) }),
      fx.rx.putObject(fx.bucket, 'k', 'x', { sseCustomerKey: 'not base64 of 32 bytes' }),
      fx.rx.getObject(fx.bucket, 'k', { sseCustomerKey: randomBytes(31) }),
      fx.rx.downloadFile(fx.bucket, 'k', join(dir.path, 'never'), { sseCustomerKey: randomBytes(33) }),
      fx.rx.copyObject({ bucket: fx.bucket, key: 'a' }, { bucket: fx.bucket, key: 'b' }, { sourceSseCustomerKey: randomBytes(8) }),
      fx.rx.putObject(fx.bucket, 'k', 'x', { tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, 'v'])) }),
      fx.rx.putObjectTagging(fx.bucket, 'k', { ['k'.repeat(129)]: 'v' }),
      fx.rx.uploadFile(fx.bucket, 'k', __filename, { tags: { t: 'v'.repeat(257) } }),
      fx.rx.putObject(fx.bucket, 'k', 'x', { ifNoneMatch: 'yes' as '*' }),
    ]);
  });
});
