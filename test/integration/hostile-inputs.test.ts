import { expect } from 'chai';
import { ADMIN_ID, signedHeaders, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { argsOf, fullPath } from '../../src/http/router.ts';
import { normaliseQuery, type RouteSpec } from '../../src/http/route.ts';

/**
 * Every parameter of every route in container.routes (so routes added later are covered without
 * editing this file) gets each hostile value, anonymously and as a signed administrator. The
 * service may answer 2xx or 4xx, never 5xx, and the database must be byte-for-byte unchanged.
 * Values a non-GET route's own schema accepts may legitimately write, so those go to a second
 * sidecar on a throwaway database (only "never 5xx" is checked there); the checksummed database
 * gets only the values the schema rejects.
 */
const MB = 'A'.repeat(1_000_000);
const STRINGS = [
  "' OR '1'='1",
  '1; DROP TABLE wp_users; --',
  "1' UNION SELECT user_pass FROM wp_users -- ",
  "\\'; SELECT SLEEP(5); --",
  '99999999999999999999999999',
  '-1',
  '0',
  '1e308',
  'NaN',
  '1.5',
  '😀💥 ｅｘａｍｐｌｅ \u202e evil',
  '\u0000',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '',
  '2026-02-30',
];
/** Extra JSON-only shapes: numbers beyond safe integers, arrays where scalars are expected, objects, a 1 MB string. */
const JSON_VALUES: unknown[] = [
  ...STRINGS.slice(0, 5),
  STRINGS[10],
  STRINGS[11],
  1e308,
  -1,
  2 ** 64,
  1.5,
  null,
  true,
  [],
  ['a', 'b'],
  [1, [2, [3]]],
  { $gt: '' },
  { a: { b: { c: {} } } },
  MB,
];

interface Attempt {
  method: string;
  path: string;
  query?: [string, string][];
  body?: unknown;
  raw?: string;
  scratch?: boolean;
}

function paramNames(schema: RouteSpec['query']): string[] {
  return Object.keys(argsOf(schema));
}

/** Whether the route's own schema would accept this input (then it is not sent to a non-GET route). */
function accepted(schema: RouteSpec['body'], value: unknown): boolean {
  return !!schema && schema.safeParse(value).success;
}

const BENIGN: unknown[] = ['validname-1', '1', 1, true, 'a', ['a'], [], {}, '2026-01-01'];

/** A value for every required field the schema accepts on its own, so one hostile field is not hidden behind a missing one. */
function baseline(schema: RouteSpec['body']): Record<string, unknown> {
  const s = schema as unknown as
    | {
        shape?: Record<string, { safeParse(v: unknown): { success: boolean } }>;
        in?: { shape?: Record<string, { safeParse(v: unknown): { success: boolean } }> };
      }
    | undefined;
  const shape = s?.shape ?? s?.in?.shape ?? {};
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape)) {
    if (field.safeParse(undefined).success) continue;
    const v = BENIGN.find((c) => field.safeParse(c).success);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function pathWith(route: RouteSpec, overrides: Record<string, string> = {}): string {
  return fullPath(route).replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(overrides[name] ?? '1'));
}

function attemptsFor(route: RouteSpec): Attempt[] {
  const out: Attempt[] = [];
  const isGet = route.method === 'GET';
  const pathParams = [...fullPath(route).matchAll(/:(\w+)/g)].map((m) => m[1]!);
  for (const name of pathParams) {
    for (const v of STRINGS.filter((s) => s !== '' && s.length < 2000)) {
      const scratch = !isGet && (!route.params || accepted(route.params, { [name]: v }));
      out.push({ method: route.method, path: pathWith(route, { [name]: v }), scratch });
    }
  }
  const queryNames = [...new Set([...paramNames(route.query), ...(isGet ? ['page', 'per_page', '_fields'] : [])])];
  for (const name of queryNames) {
    const baseQ = Object.entries(baseline(route.query))
      .filter(([k]) => k !== name)
      .map(([k, v]) => [k, String(v)] as [string, string]);
    const variants: [string, string][][] = [
      ...STRINGS.map((v) => [[name, v]] as [string, string][]),
      [
        [`${name}[]`, 'a'],
        [`${name}[]`, 'b'],
      ],
      [
        [name, 'a'],
        [name, 'b'],
      ],
      [[`${name}[x]`, '1']],
      [[name, 'B'.repeat(4000)]],
    ].map((q) => [...baseQ, ...(q as [string, string][])]);
    for (const q of variants) {
      const scratch = !isGet && (!route.query || accepted(route.query, normaliseQuery(Object.fromEntries(q.map(([k, v]) => [k, v])))));
      out.push({ method: route.method, path: pathWith(route), query: q, scratch });
    }
  }
  if (!isGet) {
    if (route.rawBody) {
      for (const v of [...JSON_VALUES.slice(0, 12), MB])
        out.push({ method: route.method, path: pathWith(route), raw: JSON.stringify({ data: v }) });
      out.push({ method: route.method, path: pathWith(route), raw: '{not json' });
    } else {
      const bodyNames = paramNames(route.body);
      const base = baseline(route.body);
      for (const name of bodyNames) {
        for (const v of JSON_VALUES) {
          const body = { ...base, [name]: v };
          out.push({ method: route.method, path: pathWith(route), body, scratch: accepted(route.body, body) });
        }
      }
      for (const whole of [[1, 2], 'just a string', 42, { [MB.slice(0, 300)]: 1 }])
        out.push({ method: route.method, path: pathWith(route), body: whole, scratch: accepted(route.body, whole) });
      out.push({ method: route.method, path: pathWith(route), raw: '{"unterminated": ' });
    }
  }
  return out;
}

async function checksums(db: TestDb): Promise<Record<string, string>> {
  const [tables] = await db.pool.query<any[]>('SHOW TABLES');
  const names = tables.map((t) => Object.values(t)[0] as string);
  const [rows] = await db.pool.query<any[]>(`CHECKSUM TABLE ${names.map((n) => `\`${n}\``).join(', ')}`);
  return Object.fromEntries(rows.map((r) => [r.Table, String(r.Checksum)]));
}

describe('hostile inputs on every route parameter', function () {
  this.timeout(240_000);
  let db: TestDb;
  let sc: InProcessSidecar;
  let scratchDb: TestDb;
  let scratch: InProcessSidecar;

  before(async () => {
    [db, scratchDb] = await Promise.all([createTestDb({ size: 'tiny' }), createTestDb({ size: 'tiny' })]);
    [sc, scratch] = (await Promise.all(
      [db, scratchDb].map((d) => startSidecar(d, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } })),
    )) as [InProcessSidecar, InProcessSidecar];
  });
  after(async () => {
    await Promise.all([sc?.stop(), scratch?.stop()]);
    await Promise.all([db?.drop(), scratchDb?.drop()]);
  });

  it('answers only 2xx or 4xx (never 5xx), in JSON, and leaves every table unchanged', async () => {
    const before = await checksums(db);
    const routes = sc.container.routes;
    expect(routes.length).to.be.greaterThan(5);
    const failures: string[] = [];
    let sent = 0;
    const send = async (a: Attempt, signed: boolean) => {
      const url = new URL(`${a.scratch ? scratch.url : sc.url}${a.path}`);
      for (const [k, v] of a.query ?? []) url.searchParams.append(k, v);
      const body = a.raw ?? (a.body === undefined ? undefined : JSON.stringify(a.body));
      const target = url.pathname + url.search;
      const headers: Record<string, string> = body !== undefined ? { 'Content-Type': 'application/json' } : {};
      if (signed) Object.assign(headers, signedHeaders({ method: a.method, path: target, body, userId: ADMIN_ID }));
      let status: number;
      let contentType: string | null;
      try {
        const res = await call(url.toString(), { method: a.method, headers, body });
        status = res.status;
        contentType = res.headers.get('content-type');
      } catch (err) {
        failures.push(`${a.method} ${target.slice(0, 120)}: ${(err as Error).message}`);
        return;
      }
      sent++;
      // Node's HTTP parser answers 431 for an over-long request line before the app sees it (no JSON body).
      const ok = (status >= 200 && status < 300) || (status >= 400 && status < 500);
      const json =
        status === 431 ||
        status === 204 ||
        contentType?.startsWith('application/json') ||
        (contentType?.startsWith('text/plain') && status < 300);
      if (!ok || !json)
        failures.push(
          `${signed ? 'admin' : 'anon'}${a.scratch ? ' (scratch db)' : ''} ${a.method} ${target.slice(0, 120)} ${body ? `body ${body.slice(0, 60)}` : ''} → ${status} ${contentType}`,
        );
    };
    // A few requests in flight at a time: fast enough, and gentle on two shared cores.
    const queue = routes
      .flatMap((r) => attemptsFor(r))
      .flatMap(
        (a) =>
          [
            [a, false],
            [a, true],
          ] as const,
      );
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await send(next[0], next[1]);
      }),
    );
    expect(failures, failures.slice(0, 20).join('\n')).to.deep.equal([]);
    expect(sent).to.be.greaterThan(200);
    expect(await checksums(db)).to.deep.equal(before);
    // The service is still healthy afterwards.
    expect((await call(`${sc.base}/health`)).status).to.equal(200);
  });
});
