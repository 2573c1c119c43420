/**
 * A bounded memo for values that are pure functions of their key (parsed query strings, digests,
 * verified tokens, Link headers): a Map that forgets its oldest entry when full. Eviction is by
 * age, not use; a hot key that is forgotten is worked out once more. lru-cache's get (options,
 * status and recency bookkeeping) was most of the cost of these lookups on a cached read, where
 * a request makes several of them.
 */
export class Memo<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    if (this.map.size >= this.max && !this.map.has(key)) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
  }

  get size(): number {
    return this.map.size;
  }
}
