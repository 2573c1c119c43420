import { expect } from 'chai';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

/**
 * One route table, matched once per request (#23): the light lane and the frame share the match,
 * and the body, rate limits, validation, access and handler follow from it.
 */
describe('one match per request (real sidecar)', () => {
  let db: TestDb;
  let sc: InProcessSidecar;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db);
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  /** How many times the route table matched a path while `send` ran. */
  async function matchesDuring(send: () => Promise<unknown>): Promise<number> {
    const table = sc.container.routeTable;
    const match = table.match;
    let n = 0;
    table.match = (method, path) => {
      n++;
      return match.call(table, method, path);
    };
    try {
      await send();
    } finally {
      table.match = match;
    }
    return n;
  }

  it('matches each request once, whether the light lane, the framework or nobody answers it', async () => {
    const requests: [string, () => Promise<{ status: number }>, number][] = [
      ['a probe the light lane answers', () => call(`${sc.base}/live`), 200],
      ['a probe the lane leaves to the framework (a credential)', () => call(`${sc.base}/live`, { headers: { 'X-API-Key': 'x' } }), 401],
      [
        'a probe with an unknown Bearer value (ignored on a public route, as in WordPress)',
        () => call(`${sc.base}/live`, { headers: { Authorization: 'Bearer x' } }),
        200,
      ],
      ['a probe with a query string', () => call(`${sc.base}/ready?x=1`), 200],
      ['a route with parameters', () => call(`${sc.base}/transactions/12`), 401],
      [
        'a body on a route',
        () => call(`${sc.base}/auth/login`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }),
        400,
      ],
      ['no route', () => call(`${sc.base}/nothing-here`, { method: 'POST', body: '{}' }), 404],
    ];
    for (const [what, send, status] of requests) {
      let res: { status: number } | undefined;
      expect(await matchesDuring(async () => (res = await send())), what).to.equal(1);
      expect(res!.status, what).to.equal(status);
    }
  });

  it('reads the body as the matched route needs it, however the path is spelled', async () => {
    // The webhook keeps the exact bytes (its signature covers them) and answers the plugin's own errors.
    for (const path of ['/webhooks/lemon-squeezy', '/WEBHOOKS/Lemon-Squeezy', '/webhooks/lemon-squeezy/']) {
      const res = await call(`${sc.base}${path}`, { method: 'POST', body: '{"meta":', headers: { 'Content-Type': 'application/json' } });
      expect([res.status, res.body], path).to.deep.equal([400, { error: 'Invalid JSON' }]);
    }
    // Any other route, and a path no route serves, parse JSON as WordPress does.
    expectRestError(
      await call(`${sc.base}/auth/login`, { method: 'POST', body: '{"meta":', headers: { 'Content-Type': 'application/json' } }),
      'rest_invalid_json',
      400,
    );
    expectRestError(
      await call(`${sc.base}/webhooks/lemon-squeezy//`, {
        method: 'POST',
        body: '{"meta":',
        headers: { 'Content-Type': 'application/json' },
      }),
      'rest_invalid_json',
      400,
    );
  });
});
