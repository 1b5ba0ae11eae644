import { expect } from 'chai';
import fc from 'fast-check';
import { compareKeys, cutKeyRanges, inKeyRange, parseShard, type KeyRange } from '../../lib';

/** Keys as S3 allows them: 1+ characters, here from an alphabet that mixes ASCII, Latin-1, the BMP's top and astral planes. */
const keyChar = fc.constantFrom('a', 'b', 'z', '0', '9', '/', '-', '.', ' ', '~', 'é', 'ß', '\u4e2d', '\uFFFD', '\uE000', '😀', '\u{10FFFF}', '\u0001');
const key = fc.array(keyChar, { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('key order and key ranges (pure)', () => {
  it('compareKeys is UTF-8 binary order (what S3 lists in), not UTF-16 order', () => {
    fc.assert(fc.property(key, key, (a, b) => Math.sign(compareKeys(a, b)) === Math.sign(utf8Order(a, b))));
    expect(compareKeys('\uFFFD', '😀')).to.be.below(0); // UTF-16 says otherwise: '\uFFFD' > '\uD83D'
  });

  it('cutKeyRanges: every key lies in exactly one of the n ranges, whatever the sample', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 60 }), fc.array(key, { maxLength: 200 }), fc.integer({ min: 1, max: 12 }), (sample, keys, n) => {
        const ranges = cutKeyRanges(sample, n);
        expect(ranges).to.have.length(n);
        for (const k of [...keys, ...sample]) expect(ranges.filter((r) => inKeyRange(k, r)), k).to.have.length(1);
      }),
    );
  });

  it('cutKeyRanges: ranges are consecutive, and each holds ⌊m/n⌋ or ⌈m/n⌉ of the m distinct sample keys', () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (sample, n) => {
        const ranges = cutKeyRanges(sample, n);
        const counts = ranges.map((r) => sample.filter((k) => inKeyRange(k, r)).length);
        const m = sample.length;
        for (const c of counts) expect(c).to.be.within(Math.floor(m / n), Math.ceil(m / n));
        // In key order: every key of range i is before every key of range i+1.
        const sorted = [...sample].sort(compareKeys);
        const owner = sorted.map((k) => ranges.findIndex((r) => inKeyRange(k, r)));
        expect(owner).to.deep.equal([...owner].sort((a, b) => a - b));
      }),
    );
  });

  it('cutKeyRanges within bounds: covers exactly the keys inside the bounds', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 60 }), fc.array(key, { maxLength: 100 }), key, key, fc.integer({ min: 1, max: 8 }), (sample, keys, x, y, n) => {
        const [low, high] = compareKeys(x, y) <= 0 ? [x, y] : [y, x];
        const bounds: KeyRange = { startAfter: low, endBefore: high };
        const ranges = cutKeyRanges(sample, n, bounds);
        for (const k of keys) expect(ranges.filter((r) => inKeyRange(k, r)).length).to.equal(inKeyRange(k, bounds) ? 1 : 0);
      }),
    );
  });

  it('cutKeyRanges rejects a count that is not a whole number from 1 to 10,000', () => {
    for (const n of [0, -1, 1.5, 10_001, Number.NaN]) expect(() => cutKeyRanges(['a'], n)).to.throw(RangeError);
  });

  it('parseShard reads i/n, 0-based', () => {
    expect(parseShard('0/4')).to.deep.equal({ index: 0, count: 4 });
    expect(parseShard(' 3/4 ')).to.deep.equal({ index: 3, count: 4 });
    for (const bad of ['4/4', '1/0', 'a/b', '1', '-1/4', '1/4/2']) expect(parseShard(bad), bad).to.equal(undefined);
  });
});
