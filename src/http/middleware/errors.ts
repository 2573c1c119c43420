import { DatabaseUnavailableError } from '../../data/database.ts';
import { SidecarError } from '../../errors.ts';
import type { AppContext } from '../route.ts';
import { sendJson } from './respond.ts';

/** WordPress's error body (WP_REST_Server::error_to_response): the status goes into `data`. */
export function errorBody(e: SidecarError): { code: string; message: string; data: Record<string, unknown> } {
  return { code: e.code, message: e.message, data: { status: e.status, ...e.data } };
}

/**
 * The error body on a route the plugin registers: WordPress's shape plus the plugin's
 * `success: false` (its own errors were `{success: false, message}`). WordPress core's refusal
 * (rest_forbidden) is left as core sends it, byte for byte.
 */
export function pluginErrorBody(e: SidecarError): Record<string, unknown> {
  const body = errorBody(e);
  return e.code === 'rest_forbidden' ? body : { success: false, ...body };
}

/**
 * The one place errors become answers: a SidecarError as WordPress's `{code, message, data}`,
 * the database being down as a 503, body-reading failures as 413/400, anything else as a 500
 * with a generic message, logged once with its stack and the request id.
 */
export function sendError(ctx: AppContext, err: unknown): void {
  const e = err as Error & { status?: number; type?: string; expose?: boolean; headers?: Record<string, string> };
  let rest: SidecarError;
  if (err instanceof SidecarError) rest = err;
  else if (err instanceof DatabaseUnavailableError) {
    ctx.state.logger.warn('database unavailable', { error: err.message, path: ctx.path });
    rest = new SidecarError('slbp_database_unavailable', 'The database is not available right now. Please try again shortly.', 503);
    ctx.set('Retry-After', '5');
  } else if (e.type === 'entity.too.large' || e.status === 413) {
    rest = new SidecarError('slbp_payload_too_large', 'The request body is too large.', 413, {
      max_bytes: (e as { limit?: number }).limit,
    });
    // The rest of the body was never read (and a chunked one has no end we know of): keeping the
    // connection would leave the client waiting until a timeout. Answer, then close it.
    ctx.res.setHeader('Connection', 'close');
  } else if (e.type === 'request.aborted') {
    rest = new SidecarError('slbp_request_aborted', 'The request was aborted.', 400);
    ctx.res.setHeader('Connection', 'close');
  } else if (e.status && e.status >= 400 && e.status < 500 && e.expose) {
    rest = new SidecarError('slbp_bad_request', e.message, e.status);
  } else {
    ctx.state.logger.error('unhandled error', { error: e.message, stack: e.stack, method: ctx.method, path: ctx.path });
    rest = new SidecarError('slbp_internal_error', 'An internal error occurred. Quote the request id when reporting it.', 500, {
      request_id: ctx.state.requestId,
    });
  }
  sendJson(ctx, rest.status, ctx.state.route?.plugin ? pluginErrorBody(rest) : errorBody(rest));
}
