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

interface BaselineConfig { db: { host: string; port: number; user: string; password: string; database: string }; redisPrefix: string; dataDir: string; cachedPayloads: Record<string, string> }
const cfg = JSON.parse(process.argv[2] ?? '{}') as BaselineConfig;
const started = Date.now();
const iso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const instance = `bench-${os.hostname()}-${process.pid}`;

const pool = mysql.createPool({ ...cfg.db, connectionLimit: 10, dateStrings: true, supportBigNumbers: true }).promise();
const redis = new Redis({ host: '127.0.0.1', port: 6379, keyPrefix: cfg.redisPrefix, protocol: 2, enableOfflineQueue: false });

// The same checks /health runs, reused for at most 1 s and shared by concurrent callers.
let memo: { at: number; value: Promise<string> } | null = null;
async function healthBody(): Promise<string> {
  const time = async (fn: () => Promise<unknown>) => { const t = performance.now(); await fn(); return performance.now() - t; };
  const [db, cache] = await Promise.all([time(() => pool.query('SELECT 1')), time(() => redis.ping())]);
  await probeFilesystem(cfg.dataDir);
  return JSON.stringify({ status: 'healthy', timestamp: iso(), instance_id: instance, version: '1.0.0', checks: { database: { healthy: true, message: 'Database connection OK', response_time: db }, cache: { healthy: true, message: 'Cache working properly', type: 'redis', response_time: cache }, filesystem: { healthy: true, message: 'Filesystem read/write OK', writable: true } } });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (body: string) => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' });
    res.end(body);
  };
  try {
    if (url.pathname === '/live') return send(JSON.stringify({ alive: true, timestamp: iso(), instance_id: instance, uptime: Math.floor((Date.now() - started) / 1000) }));
    if (url.pathname === '/health') {
      if (!memo || Date.now() - memo.at >= 1000) memo = { at: Date.now(), value: healthBody() };
      return send(await memo.value);
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
process.on('SIGTERM', () => { server.close(); pool.end(); redis.disconnect(); process.exit(0); });
