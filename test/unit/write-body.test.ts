import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { renderOnce, writeBody } from '../../src/http/middleware/respond.ts';

/** A Koa app whose only middleware answers as the frame does: `answer` fills ctx, writeBody sends it. */
async function serve(answer: (ctx: Koa.Context) => void): Promise<{ url: string; errors: unknown[]; close: () => Promise<void> }> {
  const app = new Koa();
  const errors: unknown[] = [];
  app.on('error', (err) => errors.push(err));
  app.use((ctx) => {
    ctx.state = { fields: undefined, result: undefined };
    answer(ctx);
    writeBody(ctx as never);
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, errors, close: () => new Promise((r) => server.close(() => r())) };
}

/** One raw request: status, headers and the exact bytes that came back. */
function request(url: string, method: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .request(url, { method, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject)
      .end();
  });
}

describe('writeBody: the frame ends JSON answers itself', () => {
  it('a route answer with no status set is a 200 with its exact JSON, type and length; Koa sends nothing more', async () => {
    const s = await serve((ctx) => {
      ctx.state.result = { id: 7, title: 'Café' };
    });
    try {
      const res = await request(s.url, 'GET');
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/json; charset=UTF-8');
      expect(res.body).to.equal('{"id":7,"title":"Café"}');
      expect(Number(res.headers['content-length'])).to.equal(Buffer.byteLength(res.body));
      expect(s.errors).to.deep.equal([]);
    } finally {
      await s.close();
    }
  });

  it('keeps a status the handler set, answers HEAD with the length and no body, and 204 with neither', async () => {
    let status = 201;
    const s = await serve((ctx) => {
      ctx.status = status;
      ctx.state.result = renderOnce({ created: true });
    });
    try {
      const created = await request(s.url, 'GET');
      expect(created.status).to.equal(201);
      expect(created.body).to.equal('{"created":true}');
      const head = await request(s.url, 'HEAD');
      expect(head.status).to.equal(201);
      expect(head.body).to.equal('');
      expect(head.headers['content-length']).to.equal(String(Buffer.byteLength('{"created":true}')));
      status = 204;
      const empty = await request(s.url, 'GET');
      expect(empty.status).to.equal(204);
      expect(empty.body).to.equal('');
      expect(empty.headers).to.not.have.property('content-type');
      expect(s.errors).to.deep.equal([]);
    } finally {
      await s.close();
    }
  });

  it('trims a rendered answer by _fields, and leaves strings to Koa', async () => {
    let text = false;
    const s = await serve((ctx) => {
      if (text) ctx.body = 'plain';
      else {
        ctx.state.fields = ['id'];
        ctx.state.result = renderOnce([
          { id: 1, secret: 'x' },
          { id: 2, secret: 'y' },
        ]);
      }
    });
    try {
      expect((await request(s.url, 'GET')).body).to.equal('[{"id":1},{"id":2}]');
      text = true;
      const plain = await request(s.url, 'GET');
      expect(plain.body).to.equal('plain');
      expect(plain.headers['content-type']).to.match(/^text\/plain/);
    } finally {
      await s.close();
    }
  });
});
