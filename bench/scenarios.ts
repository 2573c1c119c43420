import { createHmac } from 'node:crypto';
import { orderData, webhookBody } from '../test/fixtures/lemon-squeezy.ts';
import type { LoadSide } from './load.ts';

const NS = '/wp-json/skylearn-billing-pro/v1';
/** scripts/lib/demo-data.ts: user 1 is the administrator, 3.. are students; bench size has 20,000 users. */
const FIRST_STUDENT = 3;
const USERS = 20_000;
const DEMO_WEBHOOK_SECRET = 'demo-webhook-secret';

export interface BenchContext {
  sidecarUrl: string;
  secret: string;
  db: string;
  /** Path → body the bare baseline answers from memory (filled by `prepare`). */
  cachedPayloads: Record<string, string>;
  /** Access tokens from POST /auth/login (verified without I/O, like a mobile app's calls). */
  tokens: { admin?: string; student?: string };
}

type Partial = Omit<LoadSide, 'url' | 'label'>;

export interface Scenario {
  name: string;
  target: string;
  baselineName: 'bare' | 'direct' | 'none';
  prepare?(ctx: BenchContext): Promise<void>;
  sidecar(ctx: BenchContext): Partial;
  baseline(ctx: BenchContext): Partial;
  /** Extra measured lines for the report (e.g. cold/warm timings). */
  extra?(ctx: BenchContext): Promise<string[]>;
}

/**
 * fetch with one retry on a transport error: after a run with 64 connections the client's pooled
 * keep-alive socket can be one the server has just closed as idle; that is the client's race.
 */
async function fetchOnce(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

async function login(ctx: BenchContext, username: string, password: string): Promise<string> {
  const res = await fetch(`${ctx.sidecarUrl}${NS}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Fetches a route once (warming the cache) and hands its exact body to the bare baseline. */
async function mirror(ctx: BenchContext, route: string, token: string, as: string): Promise<void> {
  const res = await fetch(`${ctx.sidecarUrl}${route}`, { headers: { Authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  ctx.cachedPayloads[as] = await res.text();
}

const bearer = (t: string | undefined) => ({ Authorization: `Bearer ${t}` });
/** Distinct (user, per_page) pairs, so no request repeats a cache key within a run. */
const userPaths = (n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `user_id=${FIRST_STUDENT + ((i * 7919) % (USERS - FIRST_STUDENT))}&per_page=${40 + (Math.floor(i / (USERS - FIRST_STUDENT)) % 11)}`,
  );

const USER_LIST = `${NS}/transactions?per_page=50`;
const ANY_LIST = `${NS}/transactions`;
const REVENUE = `${NS}/analytics/revenue?period=12m`;
const ADMIN_SUBS = `${NS}/subscriptions?limit=50`;

/** The benchmark's scenarios, each with the baseline it is compared against. */
export const scenarios: Scenario[] = [
  {
    name: '/live',
    target: '≥ 0.75 × bare',
    baselineName: 'bare',
    async prepare(ctx) {
      ctx.tokens.admin = await login(ctx, 'admin', 'demo-admin-password');
      ctx.tokens.student = await login(ctx, 'student1', 'demo-password');
    },
    sidecar: () => ({ paths: [`${NS}/live`] }),
    baseline: () => ({ paths: ['/live'] }),
  },
  {
    name: '/health',
    target: '≥ 0.6 × direct',
    baselineName: 'direct',
    sidecar: () => ({ paths: [`${NS}/health`] }),
    baseline: () => ({ paths: ['/health'] }),
  },
  {
    name: '/transactions?per_page=50, one user (cached)',
    target: '≥ 0.6 × bare, p99 < 25 ms',
    baselineName: 'bare',
    prepare: (ctx) => mirror(ctx, USER_LIST, ctx.tokens.student!, '/cached/user-transactions'),
    sidecar: (ctx) => ({ paths: [USER_LIST], headers: bearer(ctx.tokens.student) }),
    baseline: () => ({ paths: ['/cached/user-transactions'] }),
  },
  {
    name: '/transactions?per_page=50, many users and pages (uncached)',
    target: '≥ 0.5 × direct',
    baselineName: 'direct',
    // Every request names another user: each is a cache miss and runs the list and count queries.
    sidecar: (ctx) => ({ paths: userPaths(60_000).map((q) => `${ANY_LIST}?${q}`), headers: bearer(ctx.tokens.admin) }),
    baseline: () => ({ paths: userPaths(60_000).map((q) => `/direct/transactions?${q}`) }),
  },
  {
    name: '/analytics/revenue?period=12m (warm)',
    target: 'warm < 5 ms; ≥ 0.6 × bare',
    baselineName: 'bare',
    prepare: (ctx) => mirror(ctx, REVENUE, ctx.tokens.admin!, '/cached/revenue'),
    sidecar: (ctx) => ({ paths: [REVENUE], headers: bearer(ctx.tokens.admin) }),
    baseline: () => ({ paths: ['/cached/revenue'] }),
    async extra(ctx) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        await fetchOnce(`${ctx.sidecarUrl}${NS}/cache/invalidate`, {
          method: 'POST',
          headers: { ...bearer(ctx.tokens.admin), 'Content-Type': 'application/json' },
          body: JSON.stringify({ tags: ['analytics'] }),
        });
        const t = performance.now();
        const res = await fetchOnce(`${ctx.sidecarUrl}${REVENUE}`, { headers: bearer(ctx.tokens.admin) });
        await res.text();
        times.push(performance.now() - t);
      }
      const warm: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        await (await fetchOnce(`${ctx.sidecarUrl}${REVENUE}`, { headers: bearer(ctx.tokens.admin) })).text();
        warm.push(performance.now() - t);
      }
      const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(1);
      return [
        `- \`/analytics/revenue?period=12m\` over 1,000,000 transactions, cold (analytics cache dropped before each of 5 calls): median ${med(times)} ms, max ${Math.max(...times).toFixed(1)} ms (target < 500 ms)`,
        `- same, warm (20 sequential calls): median ${med(warm)} ms, max ${Math.max(...warm).toFixed(1)} ms (target < 5 ms)`,
      ];
    },
  },
  {
    name: '/subscriptions?limit=50 as an admin (cached)',
    target: '≥ 0.6 × bare, p99 < 25 ms',
    baselineName: 'bare',
    prepare: (ctx) => mirror(ctx, ADMIN_SUBS, ctx.tokens.admin!, '/cached/admin-subscriptions'),
    sidecar: (ctx) => ({ paths: [ADMIN_SUBS], headers: bearer(ctx.tokens.admin) }),
    baseline: () => ({ paths: ['/cached/admin-subscriptions'] }),
  },
  {
    name: 'signed Lemon Squeezy webhooks (order_created, each a new order)',
    target: 'zero errors',
    baselineName: 'none',
    sidecar: () => {
      const base = 900_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
      const bodies = Array.from({ length: 40_000 }, (_, i) =>
        JSON.stringify(
          webhookBody(
            'order_created',
            orderData({
              id: base + i,
              email: `student${(i % 5000) + 1}@example.test`,
              productId: 900_001 + (i % 40),
              total: 4900,
            }),
            { user_id: FIRST_STUDENT + (i % 5000) },
          ),
        ),
      );
      return { paths: [`${NS}/webhooks/lemon-squeezy`], webhook: { secret: DEMO_WEBHOOK_SECRET, bodies } };
    },
    baseline: () => ({ paths: [] }),
  },
];

/** HMAC the way Lemon Squeezy signs (exported for the load process). */
export const lsSignature = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');
