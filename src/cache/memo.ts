/** What one entry is taken to cost, in bytes of heap: a string key is two bytes a character (V8 may keep it as UTF-16). */
export type Weigher<K, V> = (key: K, value: V) => number;

const ENTRY_OVERHEAD = 64;
const keyWeight = (key: unknown): number => (typeof key === 'string' ? 2 * key.length : 0) + ENTRY_OVERHEAD;

/**
 * A bounded memo for values that are pure functions of their key (parsed query strings, digests,
 * verified tokens, Link headers): a Map that forgets its oldest entries when full. It is bounded
 * twice: by entries and by approximate bytes (`weigh`, by default the key's length), so a caller
 * who controls the keys (a 15 kB query string) cannot grow it past its byte budget; an entry that
 * alone would take more than an eighth of the budget is not kept at all. Eviction is by age, not
 * use; a hot key that is forgotten is worked out once more. lru-cache's get (options, status and
 * recency bookkeeping) was most of the cost of these lookups on a cached read, where a request
 * makes several of them.
 */
export class Memo<K, V> {
  private readonly map = new Map<K, V>();
  private readonly weights = new Map<K, number>();
  private total = 0;

  constructor(
    private readonly max: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
    private readonly weigh: Weigher<K, V> = keyWeight,
  ) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    const weight = this.weigh(key, value);
    if (weight > this.maxBytes / 8) return;
    this.remove(key);
    while (this.map.size > 0 && (this.map.size >= this.max || this.total + weight > this.maxBytes))
      this.remove(this.map.keys().next().value as K);
    this.map.set(key, value);
    this.weights.set(key, weight);
    this.total += weight;
  }

  private remove(key: K): void {
    const w = this.weights.get(key);
    if (w === undefined) return;
    this.total -= w;
    this.weights.delete(key);
    this.map.delete(key);
  }

  /** Forgets every entry `drop` picks. */
  forget(drop: (value: V, key: K) => boolean): void {
    for (const [key, value] of this.map) if (drop(value, key)) this.remove(key);
  }

  get size(): number {
    return this.map.size;
  }

  /** The approximate bytes the entries take (the sum of their weights). */
  get bytes(): number {
    return this.total;
  }
}
