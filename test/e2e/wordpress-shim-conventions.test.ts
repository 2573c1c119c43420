import http from 'node:http';
import { expect } from 'chai';
import { signedHeaders } from '../helpers/auth.ts';
import { call, expectRestError, type JsonResponse } from '../helpers/http.ts';
import type { RecordingProxy } from '../helpers/recording-proxy.ts';
import { NS } from '../helpers/sidecar.ts';
import { startShimSite, type ShimSite, type WordPressSite } from '../helpers/wordpress.ts';

const TIMEOUT_SEC = 2;
const PASSED = ['X-WP-Total', 'X-WP-TotalPages', 'Link'];

/** Any method with any body (fetch refuses a body on GET), answered like call(). */
function send(url: string, method: string, headers: Record<string, string>, body: string): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
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

/**
 * What WordPress does around every REST answer, applied to the shim's: `_fields`, `_envelope`,
 * `_embed`, a GET with a body. Each answer through WordPress is compared with the sidecar's own
 * answer to the same signed request.
 */
describe('WordPress REST conventions through the shim: _fields, _envelope, _embed, GET bodies', function () {
  this.timeout(120_000);
  let site: ShimSite;
  let wp: WordPressSite;
  let proxy: RecordingProxy;
  let sidecarUrl: string;

  const viaWp = (route: string, auth?: string, init: RequestInit = {}) =>
    call(`${wp.url}${route}`, { ...init, headers: { ...(auth ? { Authorization: auth } : {}), ...(init.headers as Record<string, string> | undefined) } });
  /** The sidecar's answer to the request the shim would sign for `userId`. */
  const direct = (route: string, userId: number) => call(`${sidecarUrl}${route}`, { headers: signedHeaders({ method: 'GET', path: route, userId, secret: site.secret }) });
  const sentSince = (count: number) => proxy.requests.slice(count).map((r) => `${r.method} ${r.url}`);
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
    expect(metrics.body.body).to.be.a('string').and.match(/^# (HELP|TYPE) /m);

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
    const bodies: [string, string][] = [['application/json', '{"per_page":1,"page":3}'], ['application/json', '{not json'], ['application/x-www-form-urlencoded', 'per_page=1']];
    for (const [type, body] of bodies) {
      const before = proxy.requests.length;
      const via = await send(`${wp.url}${route}`, 'GET', { Authorization: wp.adminAuth, 'Content-Type': type }, body);
      const own = await send(`${sidecarUrl}${route}`, 'GET', { ...signedHeaders({ method: 'GET', path: route, userId: wp.adminId, secret: site.secret }), 'Content-Type': type }, body);
      expect(own.status, own.text).to.equal(200);
      expect(via.status, `${type} ${body}: ${via.text.slice(0, 300)}`).to.equal(200);
      expect(via.body).to.deep.equal(own.body);
      expect(via.body).to.have.length(5);
      for (const h of PASSED) expect(via.headers.get(h), h).to.equal(own.headers.get(h));
      const sent = proxy.requests.slice(before);
      expect(sent.map((r) => [r.method, r.url, r.body.length])).to.deep.equal([['GET', route, 0]]);
    }
  });
});
