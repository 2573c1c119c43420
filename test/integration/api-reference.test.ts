import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { currentApiMarkdown } from '../../scripts/gen-api-docs.ts';
import { buildOpenApi, exampleOf, openApiPath } from '../../src/http/openapi.ts';
import { fullPath } from '../../src/http/router.ts';
import { ADMIN_ID, signedHeaders, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('API reference generated from the route schemas', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let doc: any;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_METRICS_TOKEN: 'metrics-token-for-docs' } });
    doc = (await call(`${sc.base}/openapi.json`)).body;
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('serves the same document the generator builds', () => {
    expect(doc).to.deep.equal(buildOpenApi(sc.container.routes, sc.container.config.version));
  });

  it('documents every registered route, and nothing else', () => {
    const registered = sc.container.routes.map((r) => `${r.method} ${openApiPath(r)}`).sort();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(documented).to.deep.equal(registered);
    for (const r of sc.container.routes) {
      if (['POST', 'PUT', 'PATCH'].includes(r.method) && !r.rawBody)
        expect(r.body, `${r.method} ${fullPath(r)} has no body schema`).to.not.equal(undefined);
      if (r.path.includes(':')) expect(r.params, `${r.method} ${fullPath(r)} has no params schema`).to.not.equal(undefined);
    }
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)?.slice(0, 2000)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(doc.openapi).to.equal('3.1.0');
  });

  it('every route has a documented example, and sending it gets the documented status', async () => {
    for (const r of sc.container.routes) {
      const ex = exampleOf(r);
      expect(ex, `${r.method} ${fullPath(r)} has no example`).to.not.equal(null);
      let url = fullPath(r).replace(/:(\w+)/g, (_, n: string) => encodeURIComponent(String(ex!.params?.[n])));
      if (ex!.query) url += `?${new URLSearchParams(Object.entries(ex!.query).map(([k, v]): [string, string] => [k, String(v)]))}`;
      const body = ex!.body === undefined ? undefined : JSON.stringify(ex!.body);
      const headers: Record<string, string> = body ? { 'Content-Type': 'application/json' } : {};
      if (ex!.as === 'admin' || ex!.as === 'subscriber')
        Object.assign(headers, signedHeaders({ method: r.method, path: url, body, userId: ex!.as === 'admin' ? ADMIN_ID : STUDENT_ID }));
      if (ex!.as === 'monitoring') headers.Authorization = 'Bearer metrics-token-for-docs';
      const res = await call(`${sc.url}${url}`, { method: r.method, headers, body });
      expect(res.status, `${r.method} ${url}: ${res.text.slice(0, 300)}`).to.equal(ex!.status);
    }
  });

  it('docs/api.md is byte-identical to a fresh rendering (run npm run docs:api)', async () => {
    const committed = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    expect(committed === (await currentApiMarkdown()), 'docs/api.md is stale: run npm run docs:api').to.equal(true);
  });
});
