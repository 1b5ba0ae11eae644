import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { expect } from 'chai';
import type { Observable } from 'rxjs';
import fc from 'fast-check';
import type { ByteRange } from '../../lib';
import { rangeHeader } from '../../lib/operations/get-object';
import { checkMetadata } from '../../lib/internal/validate';
import { LARGEST_PART } from '../../lib/internal/multipart';
import { bytes, collect, expectRejectedLocally, spySend, useBucket, useTempDir } from '../support/fixtures';
import { runs } from './support';

const MiB = 1024 * 1024;

/**
 * Metadata names: header tokens mostly, sometimes not; values: printable ASCII mostly, sometimes not. Against an
 * external server (the Ceph lane) valid names are mostly letters, digits and hyphens: RGW handles headers
 * CGI-style and answers a `_` in a name as `-` (seen in the Ceph lane), so there only such names are compared.
 */
const TOKEN = process.env.S3_ENDPOINT ? /^[A-Za-z0-9-]{1,20}$/ : /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/;
/** Names every server gives back as sent (lower-cased). */
const PORTABLE_NAME = /^[A-Za-z0-9-]+$/;
const metadataName = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(TOKEN) },
  { weight: 1, arbitrary: fc.string({ minLength: 0, maxLength: 10 }) },
);
const metadataValue = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,40}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
);

/** Any number-ish option value: valid, at the edges, or nonsense. */
const numberish = (valid: readonly number[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(...valid),
    fc.integer({ min: -2, max: 100 }),
    fc.constantFrom(0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '8', null, true, 2 ** 53),
  );

describe('property: metadata, ranges and option values round-trip or are refused before any request', function () {
  this.timeout(120_000);
  const fx = useBucket('prop-values');
  const dir = useTempDir();

  it('metadata: accepted names and values come back as stored (names lower-cased); the rest is InvalidInput', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(metadataName, metadataValue, { maxKeys: 6 }), async (metadata) => {
        const problem = checkMetadata(metadata, { operation: 'property' });
        if (problem !== undefined) {
          await expectRejectedLocally(fx.rx, 'InvalidInput', [fx.rx.putObject(fx.bucket, 'meta', 'x', { metadata })]);
          return;
        }
        const [put] = await collect(fx.rx.putObject(fx.bucket, 'meta', 'x', { metadata, integrity: false }));
        expect(put!.ok, put!.err ? put!.val.message : '').to.equal(true);
        if (process.env.S3_ENDPOINT && !Object.keys(metadata).every((name) => PORTABLE_NAME.test(name))) return;
        const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'meta'));
        const expected = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v]));
        expect(head!.ok && head!.val.metadata).to.deep.equal(expected);
      }),
      { numRuns: runs(60) },
    );
  });

  it('ranges: a sensible range returns exactly those bytes, one past the end is the server\'s 416, nonsense is InvalidInput', async () => {
    const size = 1000;
    const data = bytes(size, 21);
    await collect(fx.rx.putObject(fx.bucket, 'ranged', data));
    const position = fc.oneof(fc.integer({ min: 0, max: size + 10 }), fc.constantFrom(-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53));
    const range: fc.Arbitrary<ByteRange> = fc.oneof(
      fc.record({ start: position, end: fc.option(position, { nil: undefined }) }).map((r) => (r.end === undefined ? { start: r.start } : { start: r.start, end: r.end })),
      fc.record({ suffix: position }),
    );
    await fc.assert(
      fc.asyncProperty(range, async (r) => {
        if (rangeHeader(r) === null) {
          await expectRejectedLocally(fx.rx, 'InvalidInput', [fx.rx.getObject(fx.bucket, 'ranged', { range: r })]);
          return;
        }
        const [got] = await collect(fx.rx.getObject(fx.bucket, 'ranged', { range: r }));
        const expected = 'suffix' in r ? data.subarray(Math.max(0, size - r.suffix)) : r.start >= size ? undefined : data.subarray(r.start, Math.min(size, (r.end ?? size) + 1));
        // RFC 9110 gives the whole object for a suffix longer than it; fauxqs answers 416: either, never other bytes.
        if ('suffix' in r && r.suffix > size && got!.err) {
          expect(got!.val.status).to.equal(416);
          return;
        }
        if (expected === undefined) {
          expect(got!.err && got!.val.status, JSON.stringify(r)).to.equal(416);
        } else {
          expect(got!.ok, JSON.stringify(r)).to.equal(true);
          expect(got!.ok && (await buffer(got!.val.body)).equals(expected), JSON.stringify(r)).to.equal(true);
        }
      }),
      { numRuns: runs(60) },
    );
  });

  it('upload options (part size, concurrency, progress interval, integrity): valid ones round-trip, the rest is InvalidInput', async () => {
    const small = join(dir.path, 'small');
    const large = join(dir.path, 'large');
    const smallData = bytes(3000, 22);
    const largeData = bytes(5 * MiB + 1, 23);
    await writeFile(small, smallData);
    await writeFile(large, largeData);
    const options = fc.record(
      {
        partSize: numberish([5 * MiB, 5 * MiB + 1, 8 * MiB, LARGEST_PART, LARGEST_PART + 1, 5 * 1024 * MiB, 5 * MiB - 1]),
        concurrency: numberish([1, 4, 64, 65]),
        progressInterval: numberish([0, 100]),
        integrity: fc.constantFrom(true, false, undefined, 'yes', 0),
      },
      { requiredKeys: [] },
    );
    const valid = (o: Record<string, unknown>): boolean => {
      const whole = (v: unknown, min: number, max: number): boolean => v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);
      return whole(o.partSize, 5 * MiB, LARGEST_PART) && whole(o.concurrency, 1, 64) && whole(o.progressInterval, 0, Number.MAX_SAFE_INTEGER) &&
        (o.integrity === undefined || typeof o.integrity === 'boolean');
    };
    await fc.assert(
      fc.asyncProperty(options, fc.boolean(), async (o, useLarge) => {
        const [path, data] = useLarge ? [large, largeData] : [small, smallData];
        if (!valid(o)) {
          await expectRejectedLocally(fx.rx, 'InvalidInput', [fx.rx.uploadFile(fx.bucket, 'opt', path, o as never)]);
          return;
        }
        const results = await collect(fx.rx.uploadFile(fx.bucket, 'opt', path, o as never));
        const last = results[results.length - 1]!;
        expect(last.ok && last.val.kind, `${JSON.stringify(o)}: ${last.err ? last.val.message : ''}`).to.equal('complete');
        const [got] = await collect(fx.rx.getObject(fx.bucket, 'opt'));
        expect(got!.ok && (await buffer(got!.val.body)).equals(data)).to.equal(true);
      }),
      { numRuns: runs(30) },
    );
  });

  it('no operation throws or sends an error notification, whatever it is given', async () => {
    const anything = fc.oneof(fc.anything(), fc.string(), fc.constant(fx.bucket), fc.constant(undefined));
    const target = join(dir.path, 'garbage-target');
    const spy = spySend(fx.rx);
    try {
      await fc.assert(
        fc.asyncProperty(anything, anything, fc.oneof(fc.constant(undefined), fc.object()), async (a, b, options) => {
          const args = [a, b] as never[];
          const operations = [
            () => fx.rx.putObject(args[0]!, args[1]!, 'x', options as never),
            () => fx.rx.getObject(args[0]!, args[1]!, options as never),
            () => fx.rx.getObjectMetadata(args[0]!, args[1]!, options as never),
            () => fx.rx.listObjects(args[0]!, options as never),
            () => fx.rx.copyObject({ bucket: args[0]!, key: args[1]! }, { bucket: fx.bucket, key: 'garbage-copy' }, options as never),
            () => fx.rx.deleteObjects(args[0]!, args[1]!),
            () => fx.rx.generatePresignedUrl(args[0]!, fx.bucket, args[1]!, options as never),
            () => fx.rx.downloadFile(args[0]!, args[1]!, target, options as never),
            () => fx.rx.downloadStream(args[0]!, args[1]!, options as never),
            () => fx.rx.uploadFile(args[0]!, args[1]!, __filename, options as never),
          ];
          for (const operation of operations) {
            const emitted: unknown[] = [];
            await new Promise<void>((resolve, reject) => {
              (operation() as Observable<unknown>).subscribe({ next: (r) => emitted.push(r), error: reject, complete: resolve });
            });
            // Each value is a Result; an Err is the last value.
            expect(emitted.every((r) => typeof (r as { ok?: unknown }).ok === 'boolean')).to.equal(true);
            expect(emitted.slice(0, -1).every((r) => (r as { ok: boolean }).ok)).to.equal(true);
          }
        }),
        { numRuns: runs(40) },
      );
    } finally {
      spy.restore();
    }
  });
});
