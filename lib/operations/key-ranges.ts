import type { KeyRange } from '../events';
import { compareKeys, keySuccessor } from '../internal/key-order';

/**
 * Cuts the key space into `n` consecutive {@link KeyRange}s that hold about equally many keys of `sample` each,
 * and together every possible key (within `bounds`) exactly once. Pure: nothing is sent.
 *
 * The sample is any set of keys or key-like strings spread like the real keys: `sampleKeySpace`'s points, every
 * 100th key of yesterday's listing, an S3 Inventory. It is sorted in UTF-8 binary order (S3's) and deduplicated
 * first. The ranges are exact whatever the sample (a poor sample only makes them uneven): range `i` ends with
 * the sample's `⌊(i+1)·m/n⌋`-th point inclusive (its `endBefore` is that point followed by `\0`, the next string
 * in key order), and range `i+1` starts after it. With fewer points than ranges, some ranges are empty. Throws a
 * `RangeError` when `n` is not a whole number from 1 to 10,000 (a programming error, not a run-time failure).
 *
 * @example
 * ```ts
 * const ranges = cutKeyRanges(['a', 'b', 'c', 'd', 'e', 'f'], 3);
 * // [{ endBefore: 'b\0' }, { startAfter: 'b', endBefore: 'd\0' }, { startAfter: 'd' }]
 * const shard = ranges[Number(process.env.WORKER_INDEX)]!;
 * rx.listObjects('logs', { prefix: '2026/', ...shard }); // this worker's share of the keys
 * ```
 */
export function cutKeyRanges(sample: Iterable<string>, n: number, bounds: KeyRange = {}): KeyRange[] {
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new RangeError(`n must be a whole number from 1 to 10000, got ${String(n)}`);
  const points = [...new Set(sample)].filter((p) => inKeyRange(p, bounds)).sort(compareKeys);
  const m = points.length;
  const cuts: Array<string | undefined> = [];
  for (let i = 1; i < n; i += 1) {
    const index = Math.floor((i * m) / n) - 1;
    cuts.push(index >= 0 ? points[index] : bounds.startAfter);
  }
  return Array.from({ length: n }, (_, i): KeyRange => {
    const startAfter = i === 0 ? bounds.startAfter : cuts[i - 1];
    const end = i === n - 1 ? undefined : cuts[i];
    // A cut at the lower bound itself (too few points): this range is empty; `\0` is before every real key.
    const endBefore = i === n - 1 ? bounds.endBefore : end === undefined ? '\u0000' : keySuccessor(end);
    return { ...(startAfter === undefined ? {} : { startAfter }), ...(endBefore === undefined ? {} : { endBefore }) };
  });
}

/**
 * True when `key` lies in `range`: after `startAfter` and before `endBefore`, in UTF-8 binary order.
 *
 * @example
 * ```ts
 * inKeyRange('logs/2026-03', { startAfter: 'logs/2026-02', endBefore: 'logs/2026-04' }); // true
 * ```
 */
export function inKeyRange(key: string, range: KeyRange): boolean {
  return (range.startAfter === undefined || compareKeys(key, range.startAfter) > 0) && (range.endBefore === undefined || compareKeys(key, range.endBefore) < 0);
}

/**
 * Parses a shard as the CLI writes it, `i/n` (0-based: `0/4` ... `3/4`): `{ index, count }`, or undefined when
 * the text is not one.
 *
 * @example
 * ```ts
 * parseShard('2/8'); // { index: 2, count: 8 }
 * parseShard('8/8'); // undefined
 * ```
 */
export function parseShard(text: string): { readonly index: number; readonly count: number } | undefined {
  const match = /^(\d{1,5})\/(\d{1,5})$/.exec(text.trim());
  if (match === null) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return count >= 1 && count <= 10_000 && index < count ? { index, count } : undefined;
}
