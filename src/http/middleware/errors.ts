import { DatabaseUnavailableError } from '../../data/database.ts';
import { RestError } from '../rest-error.ts';
import type { AppContext } from '../route.ts';
import { sendJson } from './respond.ts';

/** Answers anything thrown while handling a request in WordPress's error shape; unexpected errors are logged once. */
export function sendError(ctx: AppContext, err: unknown): void {
  const e = err as Error & { status?: number; type?: string; expose?: boolean; headers?: Record<string, string> };
  let rest: RestError;
  if (err instanceof RestError) rest = err;
  else if (err instanceof DatabaseUnavailableError) {
    ctx.state.logger.warn('database unavailable', { error: err.message, path: ctx.path });
    rest = new RestError('slbp_database_unavailable', 'The database is not available right now. Please try again shortly.', 503);
    ctx.set('Retry-After', '5');
  } else if (e.type === 'entity.too.large' || e.status === 413) {
    rest = new RestError('slbp_payload_too_large', 'The request body is too large.', 413, { max_bytes: (e as { limit?: number }).limit });
    // The rest of the body was never read (and a chunked one has no end we know of): keeping the
    // connection would leave the client waiting until a timeout. Answer, then close it.
    ctx.res.setHeader('Connection', 'close');
  } else if (e.type === 'request.aborted') {
    rest = new RestError('slbp_request_aborted', 'The request was aborted.', 400);
    ctx.res.setHeader('Connection', 'close');
  } else if (e.status && e.status >= 400 && e.status < 500 && e.expose) {
    rest = new RestError('slbp_bad_request', e.message, e.status);
  } else {
    ctx.state.logger.error('unhandled error', { error: e.message, stack: e.stack, method: ctx.method, path: ctx.path });
    rest = new RestError('slbp_internal_error', 'An internal error occurred. Quote the request id when reporting it.', 500, {
      request_id: ctx.state.requestId,
    });
  }
  sendJson(ctx, rest.status, rest.toBody());
}
