import { expect } from 'chai';

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** fetch + JSON decoding; never throws on HTTP status. */
export async function call<T = any>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<JsonResponse<T>> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('Content-Type', 'application/json');
  const res = await fetch(url, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
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
