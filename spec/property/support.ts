/** Arbitraries and oracles shared by the property specs and the soak script. */
import fc from 'fast-check';

/**
 * The seed of every property: `RXS3_PROPERTY_SEED=N` replays a run (fast-check prints the seed of a failure). CI
 * (`CI=true`) uses a fixed seed so that a landing does not depend on luck; elsewhere each run explores new cases.
 */
const SEED = process.env.RXS3_PROPERTY_SEED ?? (process.env.CI === 'true' ? '20261201' : undefined);
if (SEED !== undefined) fc.configureGlobal({ seed: Number(SEED) });

/** Scales every property's number of runs: `RXS3_PROPERTY_RUNS=10 npm test` runs ten times as many cases. */
export const RUN_SCALE = Number(process.env.RXS3_PROPERTY_RUNS ?? '1') || 1;
export const runs = (base: number): number => Math.max(1, Math.round(base * RUN_SCALE));

/** The pieces of keys that break naive clients: URL-special, XML-special, path-like, multi-byte. */
const AWKWARD = [
  ' ', '+', '%', '?', '#', '&', '~', '"', "'", '<', '>', '//', './', '../', '/', '.', '..', '%20', '%2F', '%%', '=',
  ';', '@', '\\', '{', '}', '^', '`', '[', ']', '|', '*', '!', '$', '(', ')', ',', ':', '\t', 'a', 'Z', '0',
  '\u00e9', 'e\u0301', '\u65e5\u672c\u8a9e', '\ud83d\ude00', '\u200b', '\ufeff', '\u00a0', '\u2028', '\u0130',
];

/** Any well-formed key: awkward pieces, any code points, long ones (some over 1,024 bytes). */
export const wellFormedKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...AWKWARD), { minLength: 1, maxLength: 40 }).map((parts) => parts.join('')) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 250, maxLength: 1100 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1000, maxLength: 1030 }) },
);

/** Keys rx-s3 must refuse: empty, a lone surrogate somewhere, too long. */
export const badKey: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'), fc.string({ maxLength: 20 })).map(([a, s, b]) => a + s + b),
  fc.string({ unit: 'grapheme-ascii', minLength: 1025, maxLength: 1200 }),
);

/** The UTF-8 length of a string. */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
