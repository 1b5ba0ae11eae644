import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { compareKeys } from '../internal/key-order';
import { useFastListParser } from '../internal/list-xml';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, checkCount, firstProblem } from '../internal/validate';

/**
 * Options of `sampleKeySpace`.
 *
 * @example
 * ```ts
 * rx.sampleKeySpace('logs', { prefix: '2026/', requests: 32 });
 * ```
 */
export interface SampleKeySpaceOptions extends CallOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** At most this many ListObjectsV2 requests (1 to 1,000; default 32), up to 4 at a time. */
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
  /** Position where the probe started. */
  readonly start: bigint;
  /** Position of its last key, or the end of the space when it reached the end of the prefix. */
  readonly end: bigint;
  readonly keys: readonly string[];
}

interface Gap {
  readonly from: bigint;
  readonly to: bigint;
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
 * Positions in the key space are numbers read from the characters after the prefix, as digits in the alphabet of
 * the keys of the first page; gaps no request reached are filled in proportion to the density next to them. The
 * estimate is good for keys spread evenly in that sense (numbers, dates, hashes) and coarse for skewed ones.
 * Ranges cut from it are exact either way; only their sizes vary.
 */
export function sampleKeySpace(ctx: ClientContext, bucket: string, options: SampleKeySpaceOptions = {}): Observable<Result<KeySample, S3Error>> {
  const context = { operation: 'sampleKeySpace', bucket };
  const prefix = options.prefix ?? '';
  const budget = options.requests ?? 32;
  const problem = firstProblem(checkBucket(bucket, context), checkCount(budget, 'requests', context, 1, 1000), checkTimeouts(options.timeouts, context));
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
      const probes: Probe[] = [{ start: 0n, end: space.position(first.keys.at(-1)!), keys: first.keys }];
      let sent = 1;
      const probe = async (startAfter: string): Promise<void> => {
        sent += 1;
        const answer = await list(startAfter);
        const start = space.position(startAfter);
        const last = answer.keys.at(-1);
        const end = !answer.truncated || last === undefined ? space.end : space.position(last);
        probes.push({ start, end: end > start ? end : start, keys: answer.keys });
      };
      // How far do the keys reach? Past the first page's last key, the next string at each character position
      // (`ab9` -> `ab:`, `ac`, `b`): the shallowest position with keys after it bounds the rest of them. Keys
      // after such a point at one position are after it at every deeper one, so a binary search finds it.
      const chars = Array.from(first.keys.at(-1)!.slice(prefix.length));
      const sibling = (j: number): string => `${prefix}${chars.slice(0, j).join('')}${nextChar(chars[j]!)}`;
      let shallow = 0;
      let deep = chars.length - 1;
      while (shallow < deep && sent < budget) {
        const j = (shallow + deep) >> 1;
        const before = probes.length;
        await probe(sibling(j));
        if (probes[before]!.keys.length > 0) deep = j;
        else shallow = j + 1;
      }
      while (sent < budget) {
        const gap = widest(gaps(probes, space.end));
        if (gap === undefined) break;
        const count = Math.min(IN_FLIGHT, budget - sent);
        // Beyond the last key seen, keys may fill only a sliver next to it: look close first (1/4^k of the way),
        // which finds their end in a few rounds; between keys seen, look at even steps.
        const tail = !probes.some((p) => p.keys.length > 0 && p.start >= gap.to);
        const width = gap.to - gap.from;
        const starts = Array.from({ length: count }, (_, i) => gap.from + (tail ? width / 4n ** BigInt(count - i) : (width * BigInt(i + 1)) / BigInt(count + 1)));
        await Promise.all(starts.map((x) => probe(space.string(x))));
      }
      const listed = [...new Set(probes.flatMap((p) => p.keys))].sort(compareKeys);
      const estimated = gaps(probes, space.end).map((gap) => ({ gap, keys: estimateKeys(gap, probes, space.end) }));
      const total = listed.length + estimated.reduce((sum, e) => sum + e.keys, 0);
      const step = Math.max(1, total / SAMPLE_SIZE);
      const points = listed.filter((_, i) => Math.floor(i / step) !== Math.floor((i + 1) / step) || step === 1);
      for (const { gap, keys } of estimated) {
        const count = Math.round(keys / step);
        for (let i = 1; i <= count; i += 1) points.push(space.string(gap.from + ((gap.to - gap.from) * BigInt(i)) / BigInt(count + 1)));
      }
      return { points: [...new Set(points)].sort(compareKeys), complete: false, listedKeys: listed.length, requests: sent };
    }, undefined, options.timeouts),
  );
}

/** The code point after `c` (surrogates skipped); past U+10FFFF, U+10FFFF itself. */
function nextChar(c: string): string {
  const code = c.codePointAt(0)! + 1;
  return String.fromCodePoint(code >= 0xd800 && code < 0xe000 ? 0xe000 : Math.min(code, 0x10ffff));
}

/** The parts of the key space no probe has seen, in order. */
function gaps(probes: readonly Probe[], end: bigint): Gap[] {
  const sorted = [...probes].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const found: Gap[] = [];
  let cursor = 0n;
  for (const p of sorted) {
    if (p.start > cursor) found.push({ from: cursor, to: p.start });
    if (p.end > cursor) cursor = p.end;
  }
  if (cursor < end) found.push({ from: cursor, to: end });
  return found.filter((g) => g.to - g.from > 1n);
}

function widest(list: readonly Gap[]): Gap | undefined {
  return list.reduce<Gap | undefined>((best, g) => (best === undefined || g.to - g.from > best.to - best.from ? g : best), undefined);
}

/** Keys in a gap: its width times the density of the truncated probes next to it. */
function estimateKeys(gap: Gap, probes: readonly Probe[], end: bigint): number {
  const densities = probes
    .filter((p) => p.end < end && p.keys.length > 1 && p.end > p.start && (p.end === gap.from || p.start === gap.to))
    .map((p) => p.keys.length / Number(p.end - p.start));
  if (densities.length === 0) return 0;
  return Math.min(1e9, (Number(gap.to - gap.from) * densities.reduce((a, b) => a + b, 0)) / densities.length);
}

/** Precision of positions: this many characters after the prefix. */
const DIGITS = 40;

/**
 * Maps keys to whole numbers (positions) in key order and back: the characters after the prefix, up to
 * {@link DIGITS} of them, as digits of a number whose digits are the characters the keys seen use (so keys of
 * digits, hex or words spread over their own alphabet, not over all of Unicode).
 */
class KeySpace {
  /** The characters seen, in key order. */
  private readonly alphabet: readonly string[];
  private readonly base: bigint;
  /** The position after every key. */
  readonly end: bigint;

  constructor(
    private readonly prefix: string,
    keys: readonly string[],
  ) {
    const seen = new Set<string>();
    for (const key of keys) for (const c of key.slice(prefix.length)) seen.add(c);
    this.alphabet = [...seen].sort(compareKeys);
    this.base = BigInt(this.alphabet.length + 1); // digit 0: the end of the string
    this.end = this.base ** BigInt(DIGITS);
  }

  /** 1 + how many characters of the alphabet come before `c`: monotonic in key order. */
  private digit(c: string): number {
    let lo = 0;
    let hi = this.alphabet.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(this.alphabet[mid]!, c) < 0) lo = mid + 1;
      else hi = mid;
    }
    return Math.min(lo, this.alphabet.length - 1) + 1;
  }

  position(key: string): bigint {
    const chars = Array.from(key.slice(this.prefix.length));
    let x = 0n;
    for (let i = 0; i < DIGITS; i += 1) {
      const c = chars[i];
      x = x * this.base + BigInt(c === undefined ? 0 : this.digit(c));
    }
    return x;
  }

  string(x: bigint): string {
    const digits: number[] = [];
    let rest = x;
    for (let i = 0; i < DIGITS; i += 1) {
      digits.push(Number(rest % this.base));
      rest /= this.base;
    }
    let text = this.prefix;
    for (let i = DIGITS - 1; i >= 0; i -= 1) {
      const digit = digits[i]!;
      if (digit === 0) break;
      text += this.alphabet[digit - 1]!;
    }
    return text;
  }
}
