import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { expect } from 'chai';
import { take } from 'rxjs';
import type { RxS3 } from '../../lib';
import { collect, commandNames, expectRejectedLocally, removeVersionedBucket, spySend, uniqueBucket, useTempDir } from '../support/fixtures';
import { makeClient, server } from '../support/server';

/** The embedded server accepts PutBucketVersioning but keeps no versions: version specs run on Ceph. */
const REAL_SERVER_ONLY = 'needs bucket versioning (the embedded server keeps no versions; runs on Ceph)';

describe('versions: bucket versioning, listObjectVersions, versionId on get, head, download, copy and delete', () => {
  const bucket = uniqueBucket('versions');
  const dir = useTempDir();
  let rx: RxS3;
  const ids: string[] = [];

  before(async function () {
    rx = makeClient();
    await collect(rx.createBucket(bucket));
    if (server().kind === 'embedded') return;
    const [on] = await collect(rx.putBucketVersioning(bucket, 'Enabled'));
    expect(on!.unwrap().status).to.equal('Enabled');
    for (const body of ['one', 'two!', 'three']) ids.push((await collect(rx.putObject(bucket, 'doc', body)))[0]!.unwrap().versionId!);
  });
  after(async () => {
    await removeVersionedBucket(rx.client, bucket);
    rx.destroy();
  });
  beforeEach(function () {
    if (server().kind === 'embedded' && !this.currentTest!.title.includes('[any server]')) {
      this.currentTest!.title += ` [skipped: ${REAL_SERVER_ONLY}]`;
      this.skip();
    }
  });

  it('getBucketVersioning says Unversioned for a new bucket [any server]', async () => {
    const other = uniqueBucket('unversioned');
    await collect(rx.createBucket(other));
    try {
      const [state] = await collect(rx.getBucketVersioning(other));
      expect(state!.unwrap()).to.include({ bucket: other, status: 'Unversioned' });
    } finally {
      await removeVersionedBucket(rx.client, other);
    }
  });

  it('each put in a versioned bucket gets its own versionId', () => {
    expect(ids).to.have.length(3);
    expect(new Set(ids).size).to.equal(3);
  });

  it('listObjectVersions pages lazily, newest first, with isLatest', async () => {
    const spy = spySend(rx);
    let pages;
    try {
      pages = await collect(rx.listObjectVersions(bucket, { prefix: 'doc', pageSize: 1 }));
      expect(commandNames(spy).every((n) => n === 'ListObjectVersionsCommand')).to.equal(true);
    } finally {
      spy.restore();
    }
    const values = pages.map((p) => p.unwrap());
    expect(values.map((p) => p.pageNumber)).to.deep.equal([1, 2, 3]);
    expect(values.map((p) => p.isLast)).to.deep.equal([false, false, true]);
    const versions = values.flatMap((p) => p.versions);
    expect(versions.map((v) => v.versionId)).to.deep.equal([...ids].reverse());
    expect(versions.map((v) => v.isLatest)).to.deep.equal([true, false, false]);
    expect(versions.map((v) => v.size)).to.deep.equal([5, 4, 3]);
    // take(1): one request, the first page.
    const spy2 = spySend(rx);
    try {
      await collect(rx.listObjectVersions(bucket, { pageSize: 1 }).pipe(take(1)));
      expect(spy2.callCount).to.equal(1);
    } finally {
      spy2.restore();
    }
  });

  it('getObject, getObjectMetadata and downloadFile read an older version by versionId', async () => {
    const [got] = await collect(rx.getObject(bucket, 'doc', { versionId: ids[0] }));
    expect(await text(got!.unwrap().body)).to.equal('one');
    const [head] = await collect(rx.getObjectMetadata(bucket, 'doc', { versionId: ids[1] }));
    expect(head!.unwrap()).to.include({ contentLength: 4, versionId: ids[1] });
    const path = join(dir.path, 'doc-v1');
    const events = await collect(rx.downloadFile(bucket, 'doc', path, { versionId: ids[0] }));
    expect(events.at(-1)!.ok).to.equal(true);
    expect(await readFile(path, 'utf8')).to.equal('one');
    const [latest] = await collect(rx.getObject(bucket, 'doc'));
    expect(await text(latest!.unwrap().body)).to.equal('three');
  });

  it('copyObject copies a given source version', async () => {
    const results = await collect(rx.copyObject({ bucket, key: 'doc', versionId: ids[1] }, { bucket, key: 'restored' }));
    const done = results.at(-1)!.unwrap();
    expect(done.kind === 'complete' && done.output.sourceVersionId).to.equal(ids[1]);
    // (AWS answers the copy's own versionId too; Ceph 16 sends no x-amz-version-id on CopyObject.)
    const [got] = await collect(rx.getObject(bucket, 'restored'));
    expect(await text(got!.unwrap().body)).to.equal('two!');
  });

  it('deleteObject without a version adds a delete marker; with its versionId the marker goes and the key is back', async () => {
    const [deleted] = await collect(rx.deleteObject(bucket, 'doc'));
    const marker = deleted!.unwrap();
    expect(marker.deleteMarker).to.equal(true);
    expect(marker.versionId).to.be.a('string');
    const [gone] = await collect(rx.getObjectMetadata(bucket, 'doc'));
    expect(gone!.err && gone!.val.kind).to.equal('NoSuchKey');
    const [page] = await collect(rx.listObjectVersions(bucket, { prefix: 'doc' }));
    expect(page!.unwrap().deleteMarkers.map((m) => [m.versionId, m.isLatest])).to.deep.equal([[marker.versionId, true]]);

    await collect(rx.deleteObject(bucket, 'doc', { versionId: marker.versionId }));
    const [back] = await collect(rx.getObject(bucket, 'doc'));
    expect(await text(back!.unwrap().body)).to.equal('three');
  });

  it('deleteObject with a versionId removes that version for good', async () => {
    const [deleted] = await collect(rx.deleteObject(bucket, 'doc', { versionId: ids[0] }));
    expect(deleted!.unwrap()).to.include({ versionId: ids[0], deleteMarker: false });
    const [got] = await collect(rx.getObject(bucket, 'doc', { versionId: ids[0] }));
    expect(got!.err).to.equal(true);
    const [page] = await collect(rx.listObjectVersions(bucket, { prefix: 'doc' }));
    expect(page!.unwrap().versions.map((v) => v.versionId)).to.deep.equal([ids[2], ids[1]]);
  });

  it('moveObject of a given version copies it and deletes that version only', async () => {
    const events = await collect(rx.moveObject({ bucket, key: 'doc', versionId: ids[1] }, { bucket, key: 'moved-v2' }));
    expect(events.filter((e) => !(e.ok && e.val.kind === 'progress')).map((e) => e.ok && e.val.kind)).to.deep.equal(['copied', 'deleted']);
    const [page] = await collect(rx.listObjectVersions(bucket, { prefix: 'doc' }));
    expect(page!.unwrap().versions.map((v) => v.versionId)).to.deep.equal([ids[2]]);
    const [got] = await collect(rx.getObject(bucket, 'moved-v2'));
    expect(await text(got!.unwrap().body)).to.equal('two!');
  });

  it('putBucketVersioning Suspended turns it off', async () => {
    const [off] = await collect(rx.putBucketVersioning(bucket, 'Suspended'));
    expect(off!.unwrap().status).to.equal('Suspended');
    const [state] = await collect(rx.getBucketVersioning(bucket));
    expect(state!.unwrap().status).to.equal('Suspended');
  });

  it('rejects a bad status, page size or version id before any request [any server]', async () => {
    await expectRejectedLocally(rx, 'InvalidInput', [
      rx.putBucketVersioning(bucket, 'On' as 'Enabled'),
      rx.listObjectVersions(bucket, { pageSize: 0 }),
      rx.listObjectVersions('Bad_Bucket'),
      rx.copyObject({ bucket, key: 'doc', versionId: '' }, { bucket, key: 'x' }),
    ]);
  });
});
