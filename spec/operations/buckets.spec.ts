import { expect } from 'chai';
import { take } from 'rxjs';
import { RxS3 } from '../../lib';
import { collect, commandNames, expectRejectedLocally, removeBucket, spySend, uniqueBucket } from '../support/fixtures';
import { makeClient, server } from '../support/server';

describe('bucket operations', () => {
  let rx: RxS3;
  const bucket = uniqueBucket('buckets');

  before(() => {
    rx = makeClient();
  });
  after(async () => {
    await removeBucket(rx.client, bucket);
    rx.destroy();
  });

  it('createBucket, getBucketMetadata, listBuckets, deleteBucket: one Ok each, then complete', async () => {
    const created = await collect(rx.createBucket(bucket));
    expect(created).to.have.length(1);
    expect(created[0]!.ok).to.equal(true);
    expect(created[0]!.unwrap().bucket).to.equal(bucket);
    expect(created[0]!.unwrap().raw.$metadata.httpStatusCode).to.equal(200);

    const head = await collect(rx.getBucketMetadata(bucket));
    expect(head).to.have.length(1);
    expect(head[0]!.unwrap().bucket).to.equal(bucket);

    const listed = await collect(rx.listBuckets());
    expect(listed).to.have.length(1);
    expect(listed[0]!.unwrap().buckets.map((b) => b.name)).to.include(bucket);

    const deleted = await collect(rx.deleteBucket(bucket));
    expect(deleted).to.have.length(1);
    expect(deleted[0]!.unwrap().bucket).to.equal(bucket);

    const gone = await collect(rx.getBucketMetadata(bucket));
    expect(gone).to.have.length(1);
    expect(gone[0]!.err && gone[0]!.val.kind).to.equal('NoSuchBucket');
  });

  it('deleteBucket of a bucket that is not empty is Err(BucketNotEmpty)', async () => {
    const name = uniqueBucket('full');
    await collect(rx.createBucket(name));
    try {
      await collect(rx.putObject(name, 'x', 'x'));
      const [result, ...rest] = await collect(rx.deleteBucket(name));
      expect(rest).to.be.empty;
      expect(result!.err && result!.val).to.include({ kind: 'BucketNotEmpty', operation: 'deleteBucket', bucket: name, status: 409 });
    } finally {
      await removeBucket(rx.client, name);
    }
  });

  it('deleteBucket and getBucketMetadata of a missing bucket are Err(NoSuchBucket)', async () => {
    const name = uniqueBucket('missing');
    const [deleted] = await collect(rx.deleteBucket(name));
    expect(deleted!.err && deleted!.val.kind).to.equal('NoSuchBucket');
    const [head] = await collect(rx.getBucketMetadata(name));
    expect(head!.err && head!.val).to.include({ kind: 'NoSuchBucket', status: 404 });
  });

  it('createBucket of a bucket you already own is Ok (us-east-1 and Ceph) or Err(BucketAlreadyOwnedByYou), never a throw', async () => {
    const name = uniqueBucket('twice');
    await collect(rx.createBucket(name));
    try {
      const results = await collect(rx.createBucket(name));
      expect(results).to.have.length(1);
      expect(results[0]!.ok || results[0]!.val.kind === 'BucketAlreadyOwnedByYou').to.equal(true);
    } finally {
      await removeBucket(rx.client, name);
    }
  });

  it("createBucket of another owner's bucket is Err(BucketAlreadyExists); reading it is Err(AccessDenied)", async function () {
    const other = server().otherUser;
    // Needs a second user on the server (the Ceph lane creates one); the embedded server has no owners.
    if (other === undefined) this.skip();
    const name = uniqueBucket('owned');
    await collect(rx.createBucket(name));
    await collect(rx.putObject(name, 'private', 'mine'));
    const stranger = makeClient({ credentials: other });
    try {
      const [created] = await collect(stranger.createBucket(name));
      expect(created!.err && created!.val).to.include({ kind: 'BucketAlreadyExists', status: 409 });
      const [got] = await collect(stranger.getObject(name, 'private'));
      expect(got!.err && got!.val).to.include({ kind: 'AccessDenied', status: 403 });
      const [listed] = await collect(stranger.listObjects(name));
      expect(listed!.err && listed!.val.kind).to.equal('AccessDenied');
    } finally {
      stranger.destroy();
      await removeBucket(rx.client, name);
    }
  });

  for (const bad of ['', 'ab', 'UPPER', 'has_underscore', '-dash', 'a..b', '192.168.1.1', 'x'.repeat(64)]) {
    it(`rejects the bucket name ${JSON.stringify(bad)} as InvalidInput without sending a request`, async () => {
      await expectRejectedLocally(rx, 'InvalidInput', [rx.createBucket(bad), rx.getBucketMetadata(bad), rx.deleteBucket(bad)]);
    });
  }

  it('is cold: nothing is sent before subscribe, and each subscription sends its own request', async () => {
    const spy = spySend(rx);
    try {
      const list$ = rx.listBuckets();
      expect(spy.callCount).to.equal(0);
      await collect(list$);
      await collect(list$);
      expect(commandNames(spy)).to.deep.equal(['ListBucketsCommand', 'ListBucketsCommand']);
    } finally {
      spy.restore();
    }
  });

  it('unsubscribing aborts the request in flight and emits nothing afterwards', async () => {
    const spy = spySend(rx);
    try {
      const seen: unknown[] = [];
      const subscription = rx.listBuckets().subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
      expect(spy.callCount).to.equal(1);
      subscription.unsubscribe();
      const { abortSignal } = spy.firstCall.args[1] as { abortSignal: AbortSignal };
      expect(abortSignal.aborted).to.equal(true);
      await spy.firstCall.returnValue.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
      expect(seen).to.be.empty;
    } finally {
      spy.restore();
    }
  });

  it('take(1) on a single-value operation completes after the one value', async () => {
    const results = await collect(rx.listBuckets().pipe(take(1)));
    expect(results).to.have.length(1);
  });
});
