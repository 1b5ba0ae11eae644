/**
 * Per-call `timeouts` on every operation family, through the fault proxy: a server that never answers ends each
 * call with one `Err(Timeout)` from the call's own idle timeout (the client's is off) or from its deadline; never an
 * `error` notification (`collect` would reject), never a hang. Bad values are `InvalidInput` before any request.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { lastValueFrom, type Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { BulkEvent, RxS3, S3Error, TimeoutOptions } from '../../lib';
import { bytes, collect, useBucket, useTempDir } from '../support/fixtures';
import { requests } from '../support/fault-proxy';
import { makeClient } from '../support/server';
import { expectOneErr, expectUploadGone, uploadIdsSeen, useFaultProxy } from './support';

type Call = (rx: RxS3, timeouts: TimeoutOptions) => Observable<Result<unknown, S3Error>>;

describe('faults: per-call timeouts and deadlines on every operation', function () {
  this.timeout(60_000);
  const fx = useBucket('fault-calls');
  const fp = useFaultProxy();
  const dir = useTempDir();
  // The client's own idle timeout is off and there is one attempt: only the call's timeouts can end a hang.
  let rx: RxS3;
  beforeEach(() => {
    rx = makeClient({ endpoint: fp.proxy.endpoint, timeouts: { idleMs: 0 }, maxAttempts: 1 });
  });
  afterEach(() => rx.destroy());

  before(async () => {
    for (const key of ['obj', 'list/a', 'list/b']) expect((await lastValueFrom(fx.rx.putObject(fx.bucket, key, bytes(1024, 3)))).ok).to.equal(true);
  });

  /** Hangs every request; the call ends with one Err(Timeout) from its idle timeout, then from its deadline. */
  const endsInTime = async (call: Call): Promise<void> => {
    fp.proxy.inject({ times: Infinity, action: { kind: 'hang' } });
    let started = Date.now();
    const idle = expectOneErr(await collect(call(rx, { idleMs: 200 })), 'Timeout');
    expect(idle.message).to.match(/no byte sent or received for 200 ms/);
    expect(Date.now() - started).to.be.below(5_000);
    started = Date.now();
    const deadline = expectOneErr(await collect(call(rx, { deadlineMs: 250 })), 'Timeout');
    expect(deadline.message).to.match(/deadline of 250 ms/);
    expect(Date.now() - started).to.be.within(200, 5_000);
  };

  /** Bad values: InvalidInput, nothing sent. */
  const checksFirst = async (call: Call): Promise<void> => {
    const results = await collect(call(rx, { idleMs: -1 }));
    expect(results).to.have.length(1);
    expect(results[0]!.err && (results[0]!.val as S3Error).kind).to.equal('InvalidInput');
    expect(fp.proxy.seen).to.have.length(0);
  };

  const families: Record<string, Record<string, Call>> = {
    'object metadata and deletes': {
      getObjectMetadata: (c, timeouts) => c.getObjectMetadata(fx.bucket, 'obj', { timeouts }),
      deleteObject: (c, timeouts) => c.deleteObject(fx.bucket, 'nothing-here', { timeouts }),
      deleteObjects: (c, timeouts) => c.deleteObjects(fx.bucket, ['nothing-1', 'nothing-2'], { timeouts }),
    },
    'buckets and versioning': {
      createBucket: (c, timeouts) => c.createBucket(fx.bucket, { timeouts }),
      getBucketMetadata: (c, timeouts) => c.getBucketMetadata(fx.bucket, { timeouts }),
      listBuckets: (c, timeouts) => c.listBuckets({ timeouts }),
      deleteBucket: (c, timeouts) => c.deleteBucket('fault-calls-no-such-bucket', { timeouts }),
      getBucketVersioning: (c, timeouts) => c.getBucketVersioning(fx.bucket, { timeouts }),
      putBucketVersioning: (c, timeouts) => c.putBucketVersioning('fault-calls-no-such-bucket', 'Suspended', { timeouts }),
    },
    tagging: {
      getObjectTagging: (c, timeouts) => c.getObjectTagging(fx.bucket, 'obj', { timeouts }),
      putObjectTagging: (c, timeouts) => c.putObjectTagging(fx.bucket, 'obj', { a: 'b' }, { timeouts }),
    },
    listings: {
      listObjects: (c, timeouts) => c.listObjects(fx.bucket, { prefix: 'list/', timeouts }),
      listObjectVersions: (c, timeouts) => c.listObjectVersions(fx.bucket, { prefix: 'list/', timeouts }),
      walkObjects: (c, timeouts) => c.walkObjects(fx.bucket, { prefix: 'list/', timeouts }),
      walkObjectsByRanges: (c, timeouts) => c.walkObjects(fx.bucket, { prefix: 'list/', split: 'ranges', ranges: 2, timeouts }),
      sampleKeySpace: (c, timeouts) => c.sampleKeySpace(fx.bucket, { prefix: 'list/', timeouts }),
      forEachObject: (c, timeouts) => c.forEachObject(fx.bucket, (o) => c.getObjectMetadata(fx.bucket, o.key), { prefix: 'list/', timeouts }),
    },
    'copy and move': {
      copyObject: (c, timeouts) => c.copyObject({ bucket: fx.bucket, key: 'obj' }, { bucket: fx.bucket, key: 'copy-target' }, { timeouts }),
      moveObject: (c, timeouts) => c.moveObject({ bucket: fx.bucket, key: 'obj' }, { bucket: fx.bucket, key: 'move-target' }, { timeouts }),
    },
  };

  for (const [family, calls] of Object.entries(families)) {
    describe(family, () => {
      for (const [name, call] of Object.entries(calls)) {
        it(`${name}: a hang ends with Err(Timeout) by the call's idle timeout, and by its deadline`, () => endsInTime(call));
      }
      it('bad timeout values are InvalidInput before any request', async () => {
        for (const call of Object.values(calls)) await checksFirst(call);
      });
    });
  }

  describe('copy and move, past the first request', () => {
    // New tags: the copy does not read the source's (the embedded server cannot answer GetObjectTagging on an untagged object).
    it('a multipart copy whose parts hang: the deadline ends it with Err(Timeout) and its upload is aborted', async () => {
      fp.proxy.inject({ match: requests.copy, times: Infinity, action: { kind: 'hang' } });
      const results = await collect(
        rx.copyObject({ bucket: fx.bucket, key: 'obj' }, { bucket: fx.bucket, key: 'mp-copy' }, { multipartThreshold: 1, tags: { copied: 'yes' }, timeouts: { deadlineMs: 400 } }),
      );
      expectOneErr(results, 'Timeout');
      expect(fp.proxy.count(requests.createUpload)).to.equal(1);
      const [uploadId] = uploadIdsSeen(fp.proxy.seen.map((r) => r.url));
      expect(uploadId).to.be.a('string');
      await rx.flushCleanups();
      await expectUploadGone(fx.rx, fx.bucket, 'mp-copy', uploadId!);
    });

    it('a move whose copy hangs: the deadline bounds the whole move; the source stays', async () => {
      fp.proxy.inject({ match: requests.copy, times: Infinity, action: { kind: 'hang' } });
      const results = await collect(rx.moveObject({ bucket: fx.bucket, key: 'obj' }, { bucket: fx.bucket, key: 'moved' }, { timeouts: { deadlineMs: 300 } }));
      expectOneErr(results, 'Timeout');
      expect(fp.proxy.count(requests.head), 'the source HEAD went through first').to.equal(1);
      expect((await lastValueFrom(fx.rx.getObjectMetadata(fx.bucket, 'obj'))).ok).to.equal(true);
      expect(fp.proxy.count(requests.deleteObject)).to.equal(0);
    });
  });

  describe('bulk jobs', () => {
    const failedKinds = (results: ReadonlyArray<Result<BulkEvent, S3Error>>): string[] =>
      results.flatMap((r) => (r.ok && r.val.kind === 'failed' ? [r.val.error.kind] : []));

    it('uploadDirectory: per-object idle timeouts fail each object (reported, the job goes on); the deadline ends the job', async () => {
      const local = join(dir.path, 'up');
      await mkdir(local, { recursive: true });
      await Promise.all(['a', 'b', 'c'].map((name) => writeFile(join(local, name), name)));
      fp.proxy.inject({ match: requests.put, times: Infinity, action: { kind: 'hang' } });
      const results = await collect(rx.uploadDirectory(local, fx.bucket, 'up/', { timeouts: { idleMs: 200 } }));
      expect(results.every((r) => r.ok)).to.equal(true);
      expect(failedKinds(results)).to.deep.equal(['Timeout', 'Timeout', 'Timeout']);
      const summary = results.at(-1)!;
      expect(summary.ok && summary.val.kind === 'summary' && summary.val.failed).to.equal(3);

      const started = Date.now();
      const ended = await collect(rx.uploadDirectory(local, fx.bucket, 'up/', { timeouts: { deadlineMs: 300 } }));
      expect(expectOneErr(ended, 'Timeout').message).to.match(/deadline of 300 ms/);
      expect(Date.now() - started).to.be.below(5_000);
    });

    it('downloadPrefix and sync: a listing that hangs ends with Err(Timeout) by the idle timeout and by the deadline', async () => {
      await endsInTime((c, timeouts) => c.downloadPrefix(fx.bucket, 'list/', join(dir.path, 'down'), { timeouts }));
      fp.proxy.reset();
      await endsInTime((c, timeouts) => c.sync({ from: { bucket: fx.bucket, prefix: 'list/' }, to: join(dir.path, 'synced'), timeouts }));
    });

    it('bad timeout values are InvalidInput before any request', async () => {
      await checksFirst((c, timeouts) => c.uploadDirectory(dir.path, fx.bucket, 'x/', { timeouts }));
      await checksFirst((c, timeouts) => c.deletePrefix(fx.bucket, 'x/', { timeouts }));
    });
  });
});
