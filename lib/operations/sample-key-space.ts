import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { compareKeys } from '../internal/key-order';
import { useFastListParser } from '../internal/list-xml';
import { checkBucket, checkCount, firstProblem } from '../internal/validate';

/**
 * Options of `sampleKeySpace`.
 *
 * @example
 * ```ts
 * rx.sampleKeySpace('logs', { prefix: '2026/', requests: 32 });
 * ```
 */
export interface SampleKeySpaceOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** At most this many ListObjectsV2 requests (1 to 1,000; default 16), up to 4 at a time. */
  readonly requests?: number;
}

/**
 * Emitted by `sampleKeySpace`: exactly once, on success; then the stream completes.
 *
 * @example
 * ```ts
 * const sample = await lastValueFrom(rx.sampleKeySpace('logs', { prefix: '2026/' }));
 * if (sample.ok) console.log(sample.val.complete ? 'every key' : 'an estimate', sample.val.points.length);
 * ```
 */
export interface KeySample {
  /**
   * Strings spread like the keys, sorted in UTF-8 binary order: listed keys, thinned evenly, and points
   * interpolated in the parts of the key space no request reached, as many as the neighbouring density suggests.
   * Input for `cutKeyRanges`.
   */
  readonly points: readonly string[];
  /** True when the first request listed every key (then `points` are all the keys). */
  readonly complete: boolean;
  /** Keys the requests listed. */
  readonly listedKeys: number;
  /** Requests sent. */
  readonly requests: number;
}

interface Probe {
  /** Position (0..1) where the probe started. */
  readonly start: number;
  /** Position of its last key, or 1 when it reached the end of the prefix. */
  readonly end: number;
  readonly keys: readonly string[];
}

const PAGE = 1000;
const IN_FLIGHT = 4;
/** About this many points in a sample. */
const SAMPLE_SIZE = 4000;

/**
 * Samples the key space under a prefix cheaply, for cutting it into ranges (`cutKeyRanges`) of about equal size:
 * a first page from the start, then pages at points bisecting the widest parts not yet seen (so an empty tail is
 * found in a few requests), up to `requests` ListObjectsV2 requests. Deterministic for an unchanged bucket, so N
 * processes that sample alike cut alike. One `Ok(KeySample)` or one `Err`, then complete; unsubscribing aborts
 * the requests in flight.
 *
 * Positions in the key space are numbers read from the characters after the prefix (in the alphabet of the keys
 * seen, within printable ASCII at least); the estimate is good for keys spread evenly in that sense (numbers,
 * dates, hashes) and coarse for skewed ones. Ranges cut from it are exact either way; only their sizes vary.
 */
export function sampleKeySpace(ctx: ClientContext, bucket: string, options: SampleKeySpaceOptions = {}): Observable<Result<KeySample, S3Error>> {
  const context = { operation: 'sampleKeySpace', bucket };
  const prefix = options.prefix ?? '';
  const budget = options.requests ?? 16;
  const problem = firstProblem(checkBucket(bucket, context), checkCount(budget, 'requests', context, 1, 1000));
  return unlessInvalid(problem, () =>
    fromRequest(context, async (abortSignal) => {
      const list = async (startAfter: string | undefined): Promise<{ keys: string[]; truncated: boolean }> => {
        const raw = await ctx.client.send(
          useFastListParser(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix === '' ? undefined : prefix, StartAfter: startAfter, MaxKeys: PAGE })),
          { abortSignal },
        );
        return { keys: (raw.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])), truncated: raw.IsTruncated === true };
      };
      const first = await list(undefined);
      if (!first.truncated) return { points: first.keys, complete: true, listedKeys: first.keys.length, requests: 1 };
      const space = new KeySpace(prefix, first.keys);
      const probes: Probe[] = [{ start: 0, end: space.position(first.keys.at(-1)!), keys: first.keys }];
      let sent = 1;
      while (sent < budget) {
        const gap = widest(gaps(probes));
        if (gap === undefined) break;
        const count = Math.min(IN_FLIGHT, budget - sent);
        const starts = Array.from({ length: count }, (_, i) => gap.from + ((i + 1) * (gap.to - gap.from)) / (count + 1));
        sent += count;
        const answers = await Promise.all(starts.map((x) => list(space.string(x))));
        answers.forEach((answer, i) => {
          const last = answer.keys.at(-1);
          probes.push({ start: starts[i]!, end: !answer.truncated || last === undefined ? 1 : Math.max(starts[i]!, space.position(last)), keys: answer.keys });
        });
      }
      const listed = [...new Set(probes.flatMap((p) => p.keys))].sort(compareKeys);
      const estimated = gaps(probes).map((gap) => ({ gap, keys: estimateKeys(gap, probes) }));
      const total = listed.length + estimated.reduce((sum, e) => sum + e.keys, 0);
      const step = Math.max(1, total / SAMPLE_SIZE);
      const points = listed.filter((_, i) => Math.floor(i / step) !== Math.floor((i + 1) / step) || step === 1);
      for (const { gap, keys } of estimated) {
        const count = Math.round(keys / step);
        for (let i = 1; i <= count; i += 1) points.push(space.string(gap.from + (i * (gap.to - gap.from)) / (count + 1)));
      }
      return { points: [...new Set(points)].sort(compareKeys), complete: false, listedKeys: listed.length, requests: sent };
    }),
  );
}

/** The parts of [0, 1] no probe has seen, in order. */
function gaps(probes: readonly Probe[]): Array<{ from: number; to: number }> {
  const sorted = [...probes].sort((a, b) => a.start - b.start);
  const found: Array<{ from: number; to: number }> = [];
  let cursor = 0;
  for (const p of sorted) {
    if (p.start > cursor) found.push({ from: cursor, to: p.start });
    cursor = Math.max(cursor, p.end);
  }
  if (cursor < 1) found.push({ from: cursor, to: 1 });
  return found.filter((g) => g.to - g.from > 1e-15);
}

function widest(list: ReadonlyArray<{ from: number; to: number }>): { from: number; to: number } | undefined {
  return list.reduce<{ from: number; to: number } | undefined>((best, g) => (best === undefined || g.to - g.from > best.to - best.from ? g : best), undefined);
}

/** Keys in a gap: its width times the density of the truncated probes next to it. */
function estimateKeys(gap: { from: number; to: number }, probes: readonly Probe[]): number {
  const densities = probes
    .filter((p) => p.end < 1 && p.keys.length > 0 && (Math.abs(p.end - gap.from) < 1e-12 || Math.abs(p.start - gap.to) < 1e-12))
    .map((p) => p.keys.length / Math.max(p.end - p.start, 1e-12));
  if (densities.length === 0) return 0;
  return Math.min(1e9, ((gap.to - gap.from) * densities.reduce((a, b) => a + b, 0)) / densities.length);
}

/** Maps key suffixes (after the prefix) to numbers in [0, 1) and back, in key order, over the keys' alphabet. */
class KeySpace {
  private readonly low: number;
  private readonly base: number;
  private readonly digits: number;

  constructor(
    private readonly prefix: string,
    keys: readonly string[],
  ) {
    let low = 0x20;
    let high = 0x7e;
    for (const key of keys) {
      for (const c of key.slice(prefix.length)) {
        const code = c.codePointAt(0)!;
        low = Math.min(low, code);
        high = Math.max(high, code);
      }
    }
    this.low = low;
    this.base = high - low + 2; // digit 0: the end of the string
    this.digits = Math.max(1, Math.floor(Math.log(2 ** 52) / Math.log(this.base)));
  }

  position(key: string): number {
    const chars = Array.from(key.slice(this.prefix.length));
    let x = 0;
    let scale = 1;
    for (let i = 0; i < this.digits; i += 1) {
      scale /= this.base;
      const code = chars[i]?.codePointAt(0);
      const digit = code === undefined ? 0 : Math.min(this.base - 1, Math.max(1, code - this.low + 1));
      x += digit * scale;
      if (code === undefined) break;
    }
    return x;
  }

  string(x: number): string {
    let text = this.prefix;
    let rest = x;
    for (let i = 0; i < this.digits; i += 1) {
      rest *= this.base;
      const digit = Math.min(this.base - 1, Math.floor(rest));
      rest -= digit;
      if (digit === 0) break;
      const code = this.low + digit - 1;
      text += String.fromCodePoint(code >= 0xd800 && code < 0xe000 ? 0xe000 : code);
    }
    return text;
  }
}
