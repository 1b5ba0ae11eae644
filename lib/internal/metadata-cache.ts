/**
 * Options of the opt-in metadata cache of `getObjectMetadata`, given as `metadataCache` in {@link RxS3Options}.
 *
 * @example
 * ```ts
 * const rx = new RxS3({ metadataCache: { maxEntries: 10_000, ttlMs: 5 * 60_000 } });
 * rx.getObjectMetadata('photos', 'cat.jpg', { cache: true }).subscribe(console.log);
 * ```
 */
export interface MetadataCacheOptions {
  /** The most entries kept; the least recently used goes first. Default 1,000. */
  readonly maxEntries?: number;
  /** How long an entry is trusted, in milliseconds. Default 30,000. */
  readonly ttlMs?: number;
}

/**
 * A bounded LRU cache with a TTL, keyed by bucket and key. Writes made through the same client invalidate their
 * keys; a HEAD that was in flight while any invalidation happened does not store its (possibly stale) answer.
 */
export class MetadataCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly expires: number }>();
  private generation = 0;
  readonly maxEntries: number;
  readonly ttlMs: number;

  constructor(options: MetadataCacheOptions = {}, private readonly now: () => number = Date.now) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.ttlMs = options.ttlMs ?? 30_000;
  }

  /** A stamp to take before a lookup starts, to pass to {@link set}. */
  stamp(): number {
    return this.generation;
  }

  get(bucket: string, key: string): V | undefined {
    const id = cacheKey(bucket, key);
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    if (entry.expires <= this.now()) return undefined;
    this.entries.set(id, entry); // most recently used goes last
    return entry.value;
  }

  /** Stores a value fetched by a lookup that started at `stamp`, unless a write happened since. */
  set(bucket: string, key: string, value: V, stamp: number): void {
    if (stamp !== this.generation || this.maxEntries <= 0) return;
    const id = cacheKey(bucket, key);
    this.entries.delete(id);
    this.entries.set(id, { value, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  invalidate(bucket: string, keys: Iterable<string>): void {
    this.generation += 1;
    for (const key of keys) this.entries.delete(cacheKey(bucket, key));
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }
}

const cacheKey = (bucket: string, key: string): string => `${bucket}\u0000${key}`;
