import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { expect } from 'chai';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { signedHeaders } from '../helpers/auth.ts';
import { call, expectRestError, type JsonResponse } from '../helpers/http.ts';
import type { RecordingProxy } from '../helpers/recording-proxy.ts';
import { NS } from '../helpers/sidecar.ts';
import { startShimSite, type ShimSite, type WordPressSite } from '../helpers/wordpress.ts';

const TIMEOUT_SEC = 2;
const ROUTE_NS = NS.replace('/wp-json', '');
const CATCHALL = `${ROUTE_NS}/(?P<slbp_route>.+)`;
const PASSED = ['X-WP-Total', 'X-WP-TotalPages', 'Link'];

/** Any method with any body (fetch refuses a body on GET), answered like call(). */
function send(url: string, method: string, headers: Record<string, string>, body: string): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        const responseHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') responseHeaders.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The routes of the namespace in a WordPress index answer. */
const namespaceRoutes = (index: JsonResponse) =>
  Object.fromEntries(
    Object.entries(index.body.routes as Record<string, unknown>).filter(
      ([route]) => route === ROUTE_NS || route.startsWith(`${ROUTE_NS}/`),
    ),
  );

/**
 * What WordPress does around every REST answer, applied to the shim's: `_fields`, `_envelope`,
 * `_embed`, a GET with a body, and the REST index listing the sidecar's routes. Each answer
 * through WordPress is compared with the sidecar's own answer to the same signed request.
 */
describe('WordPress REST conventions through the shim: _fields, _envelope, _embed, GET bodies, the route index', function () {
  this.timeout(120_000);
  let site: ShimSite;
  let wp: WordPressSite;
  let proxy: RecordingProxy;
  let sidecarUrl: string;

  const viaWp = (route: string, auth?: string, init: RequestInit = {}) =>
    call(`${wp.url}${route}`, {
      ...init,
      headers: { ...(auth ? { Authorization: auth } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
  /** The sidecar's answer to the request the shim would sign for `userId`. */
  const direct = (route: string, userId: number) =>
    call(`${sidecarUrl}${route}`, { headers: signedHeaders({ method: 'GET', path: route, userId, secret: site.secret }) });
  const sentSince = (count: number) => proxy.requests.slice(count).map((r) => `${r.method} ${r.url}`);
  const transient = async (): Promise<string | undefined> => {
    const [rows] = await wp.pool.query(`SELECT option_value FROM ${wp.prefix}options WHERE option_name = '_transient_slbp_sidecar_routes'`);
    return (rows as { option_value: string }[])[0]?.option_value;
  };
  const setTransient = (value: unknown) =>
    wp.pool.query(`UPDATE ${wp.prefix}options SET option_value = ? WHERE option_name = '_transient_slbp_sidecar_routes'`, [
      phpSerialize(value),
    ]);

  before(async () => {
    site = await startShimSite({ timeoutSec: TIMEOUT_SEC });
    ({ wp, proxy, sidecarUrl } = site);
  });

  after(async () => {
    await site?.stop();
  });

  it('?_fields= answers what the sidecar answers: a page of a collection, nested fields of an object, an error', async () => {
    for (const fields of ['_fields=id,amount,currency', '_fields[]=id&_fields[]=amount&_fields[]=currency']) {
      // In the order the shim sends the query (keys sorted), so the Link headers match too.
      const route = `${NS}/transactions?${fields}&page=2&per_page=5`;
      const [via, own] = [await viaWp(route, wp.adminAuth), await direct(route, wp.adminId)];
      expect(via.status, via.text).to.equal(200);
      expect(via.body).to.deep.equal(own.body);
      expect(via.body).to.have.length(5);
      expect(Object.keys(via.body[0]).sort()).to.deep.equal(['amount', 'currency', 'id']);
      for (const h of PASSED) expect(via.headers.get(h), h).to.equal(own.headers.get(h));
    }

    const health = `${NS}/health/detailed?_fields=status,version,system_info.node_version`;
    const [via, own] = [await viaWp(health, wp.adminAuth), await direct(health, wp.adminId)];
    expect(via.status, via.text).to.equal(200);
    expect(via.body).to.deep.equal(own.body);
    expect(Object.keys(via.body)).to.have.members(['status', 'version', 'system_info']);
    expect(Object.keys(via.body.system_info)).to.deep.equal(['node_version']);

    const refused = await viaWp(health, wp.studentAuth);
    expectRestError(refused, 'rest_forbidden', 403);
    expect(refused.body).to.deep.equal((await direct(health, wp.studentId)).body);

    // No field left: the sidecar answers `{}`, and so does WordPress (not PHP's `[]`), enveloped too.
    const none = `${NS}/health/detailed?_fields=no_such_field`;
    expect((await direct(none, wp.adminId)).text).to.equal('{}');
    expect((await viaWp(none, wp.adminAuth)).text).to.equal('{}');
    expect((await viaWp(`${none}&_embed=1`, wp.adminAuth)).text).to.equal('{}');
    expect((await viaWp(`${none}&_envelope=1`, wp.adminAuth)).body.body).to.deep.equal({});
    expect((await viaWp(`${none}&_envelope=1`, wp.adminAuth)).text).to.include('"body":{}');
  });

  it("_envelope wraps the sidecar's answer as WordPress does (its body, status and headers), _jsonp too; _embed changes nothing; none is forwarded", async () => {
    const route = `${NS}/transactions?page=2&per_page=5`;
    const own = await direct(route, wp.adminId);
    const before = proxy.requests.length;
    const enveloped = await viaWp(`${route}&_envelope=1`, wp.adminAuth);
    expect(enveloped.status, enveloped.text).to.equal(200);
    expect(enveloped.body.status).to.equal(own.status);
    expect(enveloped.body.body).to.deep.equal(own.body);
    for (const h of PASSED) expect(enveloped.body.headers[h], h).to.equal(own.headers.get(h));
    // WordPress's serving instructions stay in WordPress: the sidecar gets the route's own query.
    expect(sentSince(before)).to.deep.equal([`GET ${NS}/transactions?page=2&per_page=5`]);

    const fields = `${route}&_fields=id`;
    const envelopedFields = await viaWp(`${fields}&_envelope`, wp.adminAuth);
    expect(envelopedFields.body.body).to.deep.equal((await direct(fields, wp.adminId)).body);

    // An error is enveloped too: HTTP 200, the sidecar's status and error inside.
    const refused = await viaWp(`${NS}/health/detailed?_envelope`, wp.studentAuth);
    expect(refused.status, refused.text).to.equal(200);
    expect(refused.body.status).to.equal(403);
    expect(refused.body.body).to.deep.equal((await direct(`${NS}/health/detailed`, wp.studentId)).body);

    // A non-JSON answer (Prometheus text) is the envelope's body as it came.
    const metrics = await viaWp(`${NS}/metrics?_envelope`, wp.adminAuth);
    expect(metrics.status, metrics.text).to.equal(200);
    expect(metrics.body.body)
      .to.be.a('string')
      .and.match(/^# (HELP|TYPE) /m);

    const jsonp = await viaWp(`${route}&_jsonp=slbpCallback`, wp.adminAuth);
    expect(jsonp.text.startsWith('/**/slbpCallback(') && jsonp.text.endsWith(')'), jsonp.text.slice(0, 100)).to.equal(true);
    expect(JSON.parse(jsonp.text.slice('/**/slbpCallback('.length, -1))).to.deep.equal(own.body);

    const embedded = await viaWp(`${route}&_embed`, wp.adminAuth);
    expect(embedded.status, embedded.text).to.equal(200);
    expect(embedded.body).to.deep.equal(own.body);
    const embeddedObject = await viaWp(`${NS}/health/detailed?_embed=1&_fields=version`, wp.adminAuth);
    expect(embeddedObject.body).to.deep.equal((await direct(`${NS}/health/detailed?_fields=version`, wp.adminId)).body);
  });

  it('a GET with a body answers as the sidecar does, which reads no body on GET', async () => {
    const route = `${NS}/transactions?per_page=5`;
    const bodies: [string, string][] = [
      ['application/json', '{"per_page":1,"page":3}'],
      ['application/json', '{not json'],
      ['application/x-www-form-urlencoded', 'per_page=1'],
    ];
    for (const [type, body] of bodies) {
      const before = proxy.requests.length;
      const via = await send(`${wp.url}${route}`, 'GET', { Authorization: wp.adminAuth, 'Content-Type': type }, body);
      const own = await send(
        `${sidecarUrl}${route}`,
        'GET',
        { ...signedHeaders({ method: 'GET', path: route, userId: wp.adminId, secret: site.secret }), 'Content-Type': type },
        body,
      );
      expect(own.status, own.text).to.equal(200);
      expect(via.status, `${type} ${body}: ${via.text.slice(0, 300)}`).to.equal(200);
      expect(via.body).to.deep.equal(own.body);
      expect(via.body).to.have.length(5);
      for (const h of PASSED) expect(via.headers.get(h), h).to.equal(own.headers.get(h));
      const sent = proxy.requests.slice(before);
      expect(sent.map((r) => [r.method, r.url, r.body.length])).to.deep.equal([['GET', route, 0]]);
    }
  });

  it("/wp-json/ lists the sidecar's routes as its index describes them (methods, WordPress-style parameters, args), not the catch-all", async () => {
    const own = await call(`${sidecarUrl}${NS}`);
    for (const index of [await viaWp('/wp-json/'), await viaWp('/?rest_route=/')]) {
      expect(index.status, index.text.slice(0, 300)).to.equal(200);
      expect(index.body.namespaces).to.include('skylearn-billing-pro/v1');
      const routes = namespaceRoutes(index);
      expect(routes).to.deep.equal(own.body.routes);
      expect(routes).to.not.have.property(CATCHALL);
    }
    const withParams = Object.keys(own.body.routes).filter((r) => r.includes('(?P<'));
    expect(withParams).to.include(`${ROUTE_NS}/subscriptions/(?P<id>[\\d]+)`);
    const described = Object.values(own.body.routes as Record<string, { endpoints: { args: Record<string, unknown> }[] }>)
      .flatMap((r) => r.endpoints)
      .filter((e) => Object.keys(e.args ?? {}).length > 0);
    expect(described.length, 'routes with args').to.be.greaterThan(5);

    // A described route forwards with its parameters, and a method it does not have still
    // reaches the sidecar (through the catch-all), which answers as it does directly.
    const missing = `${NS}/subscriptions/987654`;
    const [via, mine] = [await viaWp(missing, wp.adminAuth), await direct(missing, wp.adminId)];
    expectRestError(via, 'slbp_subscription_not_found', 404);
    expect(via.body).to.deep.equal(mine.body);
    // WordPress matched the described route, so its Allow header names that route's methods.
    expect(via.headers.get('allow')).to.equal(own.body.routes[`${ROUTE_NS}/subscriptions/(?P<id>[\\d]+)`].methods.join(', '));
    const before = proxy.requests.length;
    expectRestError(await viaWp(`${NS}/live`, undefined, { method: 'DELETE' }), 'rest_no_route', 404);
    expect(sentSince(before)).to.deep.equal([`DELETE ${NS}/live`]);
  });

  it("keeps the learned routes for the sidecar's version, and learns them again when the version changes", async () => {
    const { version } = (await call(`${sidecarUrl}${NS}/health`)).body;
    expect(await transient()).to.include(`s:7:"version";${phpSerialize(version)}`);
    const stale = {
      [`${ROUTE_NS}/stale`]: { methods: ['GET'], endpoints: [{ methods: ['GET'], args: { page: { type: 'integer', required: false } } }] },
    };

    // Cached for the version the sidecar still has: used as it is, after one /health.
    await setTransient({ version, routes: stale, complete: true });
    let before = proxy.requests.length;
    const cached = namespaceRoutes(await viaWp('/wp-json/'));
    expect(Object.keys(cached).sort()).to.deep.equal([ROUTE_NS, `${ROUTE_NS}/stale`]);
    expect(cached[`${ROUTE_NS}/stale`]).to.deep.include(stale[`${ROUTE_NS}/stale`]);
    expect(sentSince(before)).to.deep.equal([`GET ${NS}/health`]);

    // Cached for another version: learned again from the sidecar's index.
    await setTransient({ version: '0.0.1-old', routes: stale, complete: true });
    before = proxy.requests.length;
    const learned = namespaceRoutes(await viaWp('/wp-json/'));
    expect(learned).to.deep.equal((await call(`${sidecarUrl}${NS}`)).body.routes);
    expect(sentSince(before)).to.deep.equal([`GET ${NS}/health`, `GET ${NS}`]);
    expect(await transient()).to.include(`s:7:"version";${phpSerialize(version)}`);
  });

  it('with the sidecar not answering, /wp-json/ lists the catch-all, asks again only after a pause, and every call is still forwarded', async () => {
    proxy.mode = 'hang';
    try {
      // An expired list: the next index has to ask the sidecar, which does not answer.
      await wp.pool.query(`DELETE FROM ${wp.prefix}options WHERE option_name LIKE '\\_transient%slbp\\_sidecar\\_routes'`);
      let before = proxy.requests.length;
      const started = Date.now();
      const index = await viaWp('/wp-json/');
      console.log(
        `      sidecar not answering: /wp-json/ answered ${index.status} after ${Date.now() - started} ms (the index waits at most 2 s)`,
      );
      expect(index.status).to.equal(200);
      expect(Object.keys(namespaceRoutes(index)).sort()).to.deep.equal([ROUTE_NS, CATCHALL]);
      expect(namespaceRoutes(index)[CATCHALL]).to.deep.include({ methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] });
      expect(sentSince(before)).to.deep.equal([`GET ${NS}/health`]);

      // Within the pause WordPress does not ask again.
      before = proxy.requests.length;
      expect(Object.keys(namespaceRoutes(await viaWp('/wp-json/')))).to.include(CATCHALL);
      expect(sentSince(before)).to.deep.equal([]);
      expectRestError(await viaWp(`${NS}/live`), 'slbp_sidecar_unavailable', 504);
      expect(sentSince(before)).to.deep.equal([`GET ${NS}/live`]);
    } finally {
      proxy.mode = 'forward';
    }
    // Once the pause is over (here: the transient removed) the routes are learned again.
    await wp.pool.query(`DELETE FROM ${wp.prefix}options WHERE option_name LIKE '\\_transient%slbp\\_sidecar\\_routes'`);
    expect(namespaceRoutes(await viaWp('/wp-json/'))).to.deep.equal((await call(`${sidecarUrl}${NS}`)).body.routes);

    const log = await readFile(wp.debugLog, 'utf8').catch(() => '');
    expect(log.split('\n').filter((l) => /PHP (Notice|Warning|Deprecated|Fatal)/.test(l))).to.deep.equal([]);
  });
});
