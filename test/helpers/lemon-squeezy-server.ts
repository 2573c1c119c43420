import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  accept: string | undefined;
  body: any;
}

/** What the fake answers next: a status and a JSON:API body. */
export type Reply = (req: RecordedRequest) => { status: number; body: unknown };

/**
 * A local stand-in for api.lemonsqueezy.com/v1 that records every request and answers like
 * Lemon Squeezy's subscription endpoints (JSON:API documents).
 */
export async function startLemonSqueezyServer(): Promise<{
  url: string;
  requests: RecordedRequest[];
  reply: { next: Reply | null };
  close(): Promise<void>;
}> {
  const requests: RecordedRequest[] = [];
  const reply: { next: Reply | null } = { next: null };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* keep the raw text */
      }
      const r: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        accept: req.headers.accept,
        body,
      };
      requests.push(r);
      const out = reply.next ? reply.next(r) : defaultReply(r);
      res.writeHead(out.status, { 'Content-Type': 'application/vnd.api+json' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    reply,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const GATEWAY_ENDS_AT = '2030-01-15T12:00:00.000000Z';

function defaultReply(r: RecordedRequest): { status: number; body: unknown } {
  const m = /^\/v1\/subscriptions\/([^/]+)$/.exec(r.path);
  if (r.method !== 'PATCH' || !m) return { status: 404, body: { errors: [{ status: '404', title: 'Not Found', detail: 'Not found.' }] } };
  const cancelled = Boolean(r.body?.data?.attributes?.cancelled);
  return {
    status: 200,
    body: {
      jsonapi: { version: '1.0' },
      data: {
        type: 'subscriptions',
        id: decodeURIComponent(m[1]!),
        attributes: { status: cancelled ? 'cancelled' : 'active', cancelled, ends_at: cancelled ? GATEWAY_ENDS_AT : null },
      },
    },
  };
}
