import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A key prefix of this test's own, so parallel runs and WordPress's keys never collide. */
export function testRedisPrefix(): string {
  return `slbp-test:${process.pid}:${randomBytes(3).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN, never FLUSHDB). */
export async function cleanRedisPrefix(prefix: string, port = 6379): Promise<void> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis stopped by the test itself: nothing to clean.
  } finally {
    r.disconnect();
  }
}
