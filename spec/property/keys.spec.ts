import { text } from 'node:stream/consumers';
import { expect } from 'chai';
import fc from 'fast-check';
import type { RxS3 } from '../../lib';
import { checkNewKey } from '../../lib/internal/validate';
import { collect, expectRejectedLocally, useBucket } from '../support/fixtures';
import { badKey, runs, utf8Bytes, wellFormedKey } from './support';

/** Characters a new key may not hold (XML 1.0 cannot carry them, a CR comes back as LF): re-stated here as the oracle. */
// eslint-disable-next-line no-control-regex
const NOT_IN_XML = /[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF]/;

/** Everything a key must survive: put, head, list, get, copy, move, delete; each step checked against the server. */
export async function roundTripKey(rx: RxS3, bucket: string, key: string, body: string): Promise<void> {
  const step = (name: string) => `${name} of ${JSON.stringify(key)}`;
  const [put] = await collect(rx.putObject(bucket, key, body));
  expect(put!.ok, step('put') + (put!.err ? `: ${put!.val.kind} ${put!.val.message}` : '')).to.equal(true);
  const [head] = await collect(rx.getObjectMetadata(bucket, key));
  expect(head!.ok && head!.val.contentLength, step('head')).to.equal(utf8Bytes(body));
  const pages = await collect(rx.listObjects(bucket, { prefix: key }));
  const listed = pages.flatMap((p) => (p.ok ? p.val.objects.map((o) => o.key) : [`Err ${p.val.kind}: ${p.val.message}`]));
  expect(listed, step('list')).to.include(key);
  const [got] = await collect(rx.getObject(bucket, key));
  expect(got!.ok && (await text(got!.val.body)), step('get')).to.equal(body);
  if (utf8Bytes(key) + 2 <= 1024) {
    const copyKey = `c/${key}`;
    const movedKey = `m/${key}`;
    const copied = (await collect(rx.copyObject({ bucket: bucket, key: key }, { bucket: bucket, key: copyKey }))).at(-1);
    expect(copied!.ok, step('copy') + (copied!.err ? `: ${copied!.val.message}` : '')).to.equal(true);
    const moved = await collect(rx.moveObject({ bucket: bucket, key: copyKey }, { bucket: bucket, key: movedKey }));
    expect(moved.flatMap((r) => (r.ok ? (r.val.kind === 'progress' ? [] : [r.val.kind]) : [r.val.kind])), step('move')).to.deep.equal(['copied', 'deleted']);
    const [gone] = await collect(rx.getObjectMetadata(bucket, copyKey));
    expect(gone!.err && gone!.val.kind, step('moved source')).to.equal('NoSuchKey');
    const [movedBody] = await collect(rx.getObject(bucket, movedKey));
    expect(movedBody!.ok && (await text(movedBody!.val.body)), step('get moved')).to.equal(body);
    await collect(rx.deleteObject(bucket, movedKey));
  }
  const [deleted] = await collect(rx.deleteObject(bucket, key));
  expect(deleted!.ok, step('delete')).to.equal(true);
  const [after] = await collect(rx.getObjectMetadata(bucket, key));
  expect(after!.err && after!.val.kind, step('deleted')).to.equal('NoSuchKey');
}

describe('property: keys round-trip or are refused before any request', function () {
  this.timeout(120_000);
  const fx = useBucket('prop-keys');

  it('any well-formed key up to 1,024 bytes round-trips: put, head, list, get, copy, move, delete', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormedKey, fc.string({ maxLength: 40 }), async (key, body) => {
        if (utf8Bytes(key) > 1024 || NOT_IN_XML.test(key)) {
          await expectRejectedLocally(fx.rx, 'InvalidInput', [fx.rx.putObject(fx.bucket, key, body), fx.rx.copyObject({ bucket: fx.bucket, key: 'k' }, { bucket: fx.bucket, key: key })]);
          expect(checkNewKey(key, { operation: 'property' })).to.not.equal(undefined);
          return;
        }
        await roundTripKey(fx.rx, fx.bucket, key, body);
      }),
      { numRuns: runs(80) },
    );
  });

  it('an empty, over-long or ill-formed key is Err(InvalidInput) in every operation, with no request', async () => {
    await fc.assert(
      fc.asyncProperty(badKey, async (key) => {
        await expectRejectedLocally(fx.rx, 'InvalidInput', [
          fx.rx.putObject(fx.bucket, key, 'x'),
          fx.rx.getObject(fx.bucket, key),
          fx.rx.getObjectMetadata(fx.bucket, key),
          fx.rx.copyObject({ bucket: fx.bucket, key: key }, { bucket: fx.bucket, key: 'k' }),
          fx.rx.moveObject({ bucket: fx.bucket, key: 'k' }, { bucket: fx.bucket, key: key }),
          fx.rx.deleteObject(fx.bucket, key),
          fx.rx.deleteObjects(fx.bucket, ['k', key]),
          fx.rx.downloadStream(fx.bucket, key),
          fx.rx.generatePresignedUrl('GET', fx.bucket, key),
        ]);
      }),
      { numRuns: runs(40) },
    );
  });
});
