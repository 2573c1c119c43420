/**
 * Baselines measured in the same run as the sidecar:
 * - `bare`: node:http answering from memory (what /live and cached reads cost without Koa);
 * - `direct`: node:http running the same SQL and Redis calls through mysql2/ioredis with no
 *   framework (what /health and uncached reads cost without the sidecar's layers).
 * Prints `{"port": N}` on stdout once listening. Config comes as JSON in argv[2].
 */
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2';
import { Redis } from 'ioredis';
import { probeFilesystem } from '../src/data/probes.ts';
import { createTables } from '../src/data/tables.ts';
import { TransactionsRepository } from '../src/data/transactions-repository.ts';

interface BaselineConfig {
  db: { host: string; port: number; user: string; password: string; database: string };
  redisPrefix: string;
  dataDir: string;
  cachedPayloads: Record<string, string>;
}
const cfg = JSON.parse(process.argv[2] ?? '{}') as BaselineConfig;
const started = Date.now();
const iso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const instance = `bench-${os.hostname()}-${process.pid}`;

const pool = mysql.createPool({ ...cfg.db, connectionLimit: 10, dateStrings: true, supportBigNumbers: true }).promise();
const redis = new Redis({ host: '127.0.0.1', port: 6379, keyPrefix: cfg.redisPrefix, protocol: 2, enableOfflineQueue: false });

// The same checks /health runs, reused for at most 1 s and shared by concurrent callers.
let memo: { at: number; value: Promise<string> } | null = null;
async function healthBody(): Promise<string> {
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const [db, cache] = await Promise.all([time(() => pool.query('SELECT 1')), time(() => redis.ping())]);
  await probeFilesystem(cfg.dataDir);
  return JSON.stringify({
    status: 'healthy',
    timestamp: iso(),
    instance_id: instance,
    version: '1.0.0',
    checks: {
      database: { healthy: true, message: 'Database connection OK', response_time: db },
      cache: { healthy: true, message: 'Cache working properly', type: 'redis', response_time: cache },
      filesystem: { healthy: true, message: 'Filesystem read/write OK', writable: true },
    },
  });
}

// The same list + count SQL the sidecar runs for /transactions, and the same cache round trips (GET miss, SET + tag).
const transactions = new TransactionsRepository(createTables('wp_'));
const q = { query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params))[0] as T };
async function directTransactions(userId: number, perPage: number): Promise<{ body: string; total: number }> {
  const key = `bench:tx:${userId}:${perPage}`;
  const hit = await redis.get(key);
  if (hit) return JSON.parse(hit) as { body: string; total: number };
  const w = { orderby: 'created_at' as const, order: 'desc' as const, limit: perPage, offset: 0 };
  const [rows, total] = await Promise.all([transactions.list(q, { userId }, w), transactions.count(q, { userId })]);
  const body = JSON.stringify(rows.map((r) => ({ ...r, amount: Number(r.amount), metadata: r.metadata ? JSON.parse(r.metadata) : null })));
  await redis.multi().set(key, JSON.stringify({ body, total }), 'EX', 600).sadd(`bench:tag:${userId}`, key).exec();
  return { body, total };
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (body: string) => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' });
    res.end(body);
  };
  try {
    if (url.pathname === '/live')
      return send(
        JSON.stringify({ alive: true, timestamp: iso(), instance_id: instance, uptime: Math.floor((Date.now() - started) / 1000) }),
      );
    if (url.pathname === '/health') {
      if (!memo || Date.now() - memo.at >= 1000) memo = { at: Date.now(), value: healthBody() };
      return send(await memo.value);
    }
    if (url.pathname === '/direct/transactions') {
      const { body, total } = await directTransactions(
        Number(url.searchParams.get('user_id')),
        Number(url.searchParams.get('per_page') ?? 50),
      );
      res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8', 'X-WP-Total': String(total) });
      res.end(body);
      return;
    }
    const cached = cfg.cachedPayloads[url.pathname];
    if (cached !== undefined) return send(cached);
    res.writeHead(404).end();
  } catch (err) {
    res.writeHead(500).end(String(err));
  }
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.on('SIGTERM', () => {
  server.close();
  pool.end();
  redis.disconnect();
  process.exit(0);
});
