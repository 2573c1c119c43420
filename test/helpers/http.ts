import { expect } from 'chai';

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A request that has not answered in this long fails, naming itself, instead of waiting out the test's timeout. */
const CALL_TIMEOUT_MS = 60_000;

/** fetch + JSON decoding; never throws on HTTP status. */
export async function call<T = any>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<JsonResponse<T>> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('Content-Type', 'application/json');
  const signal = rest.signal ?? AbortSignal.timeout(CALL_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(url, { ...rest, headers, signal, body: json !== undefined ? JSON.stringify(json) : rest.body });
  } catch (err) {
    if (!rest.signal && signal.aborted)
      throw new Error(`${rest.method ?? 'GET'} ${url}: no answer within ${CALL_TIMEOUT_MS / 1000} s`, { cause: err });
    throw err;
  }
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (e.g. /metrics)
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Asserts WordPress's error shape, like WordPress's assertErrorResponse(). */
export function expectRestError(res: JsonResponse, code: string, status: number): void {
  expect(res.status, `status for ${res.text.slice(0, 300)}`).to.equal(status);
  expect(res.body).to.be.an('object');
  expect(res.body.code).to.equal(code);
  expect(res.body.message).to.be.a('string').and.not.empty;
  expect(res.body.data?.status).to.equal(status);
  expect(res.headers.get('content-type')).to.equal('application/json; charset=UTF-8');
}
