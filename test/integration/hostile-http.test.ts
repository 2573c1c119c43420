import net from 'node:net';
import os from 'node:os';
import { expect } from 'chai';
import { ADMIN_ID, asUser, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

const LIMIT = 4096;

/**
 * What a hostile client can do at the HTTP level (#25, findings 9 and 10): an endless chunked
 * body, impossible dates and numbers that JavaScript reads leniently, a forged Host header, and
 * what the public health probe tells about the machine.
 */
describe('hostile HTTP: bodies, dates, ids, Host and the public probe', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const get = (path: string, headers: Record<string, string> = {}) => {
    const init = asUser(ADMIN_ID, 'GET', `${NS}${path}`);
    return call(`${sc.url}${NS}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } });
  };

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_BODY_LIMIT: String(LIMIT) } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('an over-size chunked body is answered 413 and the connection is closed, not left open', async () => {
    const { port } = new URL(sc.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    const closed = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connection still open 10 s after: ${received.slice(0, 200)}`)), 10_000);
      socket.on('data', (d) => {
        received += d.toString('latin1');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(received);
      });
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(
      `POST ${NS}/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n`,
    );
    // Keep sending chunks (as a slow, endless upload would) until the server answers.
    const chunk = `${(1024).toString(16)}\r\n${'x'.repeat(1024)}\r\n`;
    for (let i = 0; i < 16 && !received && !socket.destroyed; i++) {
      socket.write(chunk);
      await new Promise((r) => setTimeout(r, 20));
    }
    const answer = await closed;
    expect(answer).to.match(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).to.include('connection: close');
    expect(answer).to.include('"code":"slbp_payload_too_large"');
  });

  it('refuses impossible dates instead of rolling them over', async () => {
    for (const bad of ['2025-02-30', '2025-02-29', '2026-04-31', '2026-01-01T24:00:00Z', '2026-01-01T10:60:00Z', '2026-13-01']) {
      const res = await get(`/transactions?after=${encodeURIComponent(bad)}`);
      expectRestError(res, 'rest_invalid_param', 400);
      expect(res.body.data.params, bad).to.have.key('after');
    }
    expect((await get('/transactions?after=2024-02-29&before=2026-01-01T10:00:00%2B05:30')).status).to.equal(200);
    expectRestError(await get('/backup/list?from_date=2025-02-30'), 'rest_invalid_param', 400);
  });

  it('ids are whole decimal numbers: 1e1, 0x3, 0b1 and 1.0 are refused everywhere', async () => {
    for (const bad of ['1e1', '0x3', '0b1', '1.0', '+3', '3abc']) {
      const q = encodeURIComponent(bad);
      for (const path of [
        `/transactions?user_id=${q}`,
        `/subscriptions?user_id=${q}`,
        `/billing/summary?user_id=${q}`,
        `/exports/${q}`,
        `/import/plugin-data/${q}`,
        `/alerts?page=${q}`,
      ]) {
        const res = await get(path);
        expect(res.status, `${path}: ${res.text.slice(0, 200)}`).to.equal(400);
      }
    }
  });

  it("builds Link URLs on the site's home, whatever Host the request carries", async () => {
    const res = await get('/transactions?per_page=2&page=2', { Host: 'evil.example' });
    expect(res.status).to.equal(200);
    const link = res.headers.get('link') ?? '';
    expect(link).to.include(`<http://localhost:8080${NS}/transactions?per_page=2&page=3>; rel="next"`);
    expect(link).to.include(`<http://localhost:8080${NS}/transactions?per_page=2&page=1>; rel="prev"`);
    expect(link).to.not.include('evil.example');
  });

  it('the public /health keeps the plugin fields and names neither the host nor the process', async () => {
    for (const path of ['/health', '/health?_fields=status,instance_id', '/live', '/ready']) {
      const res = await call(`${sc.base}${path}`);
      expect(res.status).to.equal(200);
      expect(res.text).to.not.include(os.hostname());
      expect(String(res.body.instance_id)).to.match(/^slbp-[0-9a-f]{12}$/);
      expect(String(res.body.instance_id)).to.not.include(String(process.pid));
    }
    const health = (await call(`${sc.base}/health`)).body;
    expect(health).to.include.keys('status', 'timestamp', 'instance_id', 'version', 'checks');
    // The plugin's three checks, and the plugin tables check (#21) beside them.
    expect(health.checks).to.have.keys('database', 'cache', 'filesystem', 'tables');
    // Administrators still learn which machine answered.
    const detailed = await get('/health/detailed');
    expect(detailed.body.system_info).to.include({ hostname: os.hostname(), pid: process.pid });
  });
});
