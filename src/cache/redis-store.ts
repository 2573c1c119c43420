import { Cluster, type Redis } from 'ioredis';
import type { RedisHandle } from './redis.ts';
import { hashTagOf, tagSetKey, valueKey } from './keys.ts';

/** Escapes glob characters so a SCAN pattern matches the prefix literally. */
export function globEscape(s: string): string {
  return s.replace(/[\\*?[\]]/g, (ch) => `\\${ch}`);
}

/**
 * L2: cached values and tag member sets in Redis, always under the site's namespace (ioredis
 * adds it to key arguments; SCAN patterns get it here), with the site key inside every hash tag.
 * Works on one server and on a Cluster: multi-key commands only ever touch keys that share a
 * hash tag.
 */
export class RedisStore {
  constructor(private readonly redis: RedisHandle) {}

  private vk(key: string): string {
    return valueKey(key, this.redis.siteKey);
  }

  private tk(tag: string): string {
    return tagSetKey(tag, this.redis.siteKey);
  }

  get available(): boolean {
    return this.redis.isReady();
  }

  private get client() {
    return this.redis.client;
  }

  /** The stored value and its JSON length, or undefined on a miss. */
  async get<T>(key: string): Promise<{ value: T; chars: number } | undefined> {
    const raw = await this.client.get(this.vk(key));
    return raw === null ? undefined : { value: JSON.parse(raw) as T, chars: raw.length };
  }

  /**
   * Stores `json` for `ttlSec` and records the key in each tag's set.
   * The tag named by the key's hash tag is written in the same MULTI (same slot); other tags
   * follow one command each, which a Cluster routes to their own slots.
   */
  async set(key: string, json: string, ttlSec: number, tags: string[]): Promise<void> {
    const vk = this.vk(key);
    const primary = hashTagOf(key);
    const tx = this.client.multi().set(vk, json, 'EX', ttlSec);
    const others: string[] = [];
    for (const tag of tags) {
      if (tag === primary || !this.redis.isCluster) {
        // The set lives as long as its longest-lived member; a later write extends it.
        tx.sadd(this.tk(tag), vk).expire(this.tk(tag), ttlSec, 'GT').expire(this.tk(tag), ttlSec, 'NX');
      } else others.push(tag);
    }
    await tx.exec();
    await Promise.all(
      others.map((tag) =>
        this.client.multi().sadd(this.tk(tag), vk).expire(this.tk(tag), ttlSec, 'GT').expire(this.tk(tag), ttlSec, 'NX').exec(),
      ),
    );
  }

  /** Deletes the keys; resolves to how many existed. */
  async deleteKeys(keys: string[]): Promise<number> {
    return this.unlinkEach(keys.map((k) => this.vk(k)));
  }

  /** Deletes every key recorded in the tags' sets, and the sets; resolves to keys deleted. */
  async deleteTags(tags: string[]): Promise<number> {
    let n = 0;
    for (const tag of tags) {
      const members = await this.client.smembers(this.tk(tag));
      n += await this.unlinkEach(members);
      await this.client.unlink(this.tk(tag));
    }
    return n;
  }

  /** Deletes every cache value and tag set in this site's namespace (SCAN on each master; never FLUSHDB). */
  async deleteAll(): Promise<number> {
    const prefix = this.redis.keyPrefix;
    const nodes: Redis[] = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    let n = 0;
    for (const node of nodes) {
      for (const family of ['c:', 't:']) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', `${globEscape(prefix)}${family}*`, 'COUNT', 500);
          cursor = next;
          // SCAN answers full names; the prefixed client adds the prefix back.
          const names = found.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
          const deleted = await this.unlinkEach(names);
          if (family === 'c:') n += deleted;
        } while (cursor !== '0');
      }
    }
    return n;
  }

  /** One UNLINK per key: valid on a Cluster whatever the keys' slots. */
  private async unlinkEach(names: string[]): Promise<number> {
    const counts = await Promise.all(names.map((k) => this.client.unlink(k)));
    return counts.reduce((a, b) => a + b, 0);
  }
}
