import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RecordingProxy {
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** `hang`: accept requests and never answer (a sidecar that stopped responding). */
  mode: 'forward' | 'hang';
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the sidecar that records exactly what the shim sent
 * (request target, headers, body bytes), so tests can check and replay real shim requests.
 */
export async function startRecordingProxy(target: string, port = 0): Promise<RecordingProxy> {
  const sockets = new Set<Socket>();
  const proxy: RecordingProxy = { url: '', port: 0, requests: [], mode: 'forward', close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      proxy.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (proxy.mode === 'hang') return;
      const headers = { ...req.headers };
      delete headers.host;
      const up = http.request(`${target}${req.url}`, { method: req.method, headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      // The sidecar is gone: drop the connection so the shim sees a transport failure, as it would without the proxy.
      up.on('error', () => req.socket.destroy());
      up.end(body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
