/**
 * The sidecar's one error type, a WordPress error (WP_Error): a code such as
 * `slbp_subscription_not_found`, a message, the status WordPress gives it and extra data. The
 * domain, the backup services and the HTTP layer all throw it; the HTTP frame answers it in
 * WordPress's `{code, message, data: {status, ...}}` shape (src/http/middleware/errors.ts), the
 * command line prints its code and message. Anything else thrown is a fault: a 500, logged once.
 *
 * It is an answer, not a fault, so no stack trace is captured: it is not built by Error's
 * constructor (whose capture was most of the cost of a 401 or 429, which floods of bad requests
 * are made of), yet it is an `Error` to `instanceof` and to TypeScript. Error.stackTraceLimit is
 * never touched: other errors keep their stacks.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the class is an Error by its prototype, not by its constructor
export interface SidecarError extends Error {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class SidecarError {
  readonly name = 'SidecarError';
  /** The name and message only: there are no frames to show. */
  readonly stack: string;

  constructor(
    readonly code: string,
    readonly message: string,
    readonly status: number,
    readonly data: Record<string, unknown> = {},
  ) {
    this.stack = `SidecarError: ${message}`;
  }
}
Object.setPrototypeOf(SidecarError.prototype, Error.prototype);

/** WordPress's answer to a path (or a method on it) that no route serves. */
export const noRoute = () => new SidecarError('rest_no_route', 'No route was found matching the URL and request method.', 404);

/** WordPress's refusal: 401 for an anonymous caller, 403 for a signed-in one. */
export const forbidden = (authenticated: boolean) =>
  new SidecarError('rest_forbidden', 'Sorry, you are not allowed to do that.', authenticated ? 403 : 401);

/** 400 naming each bad parameter, as WordPress's rest_invalid_param does. */
export const invalidParams = (params: Record<string, string>, details: Record<string, unknown> = {}) =>
  new SidecarError('rest_invalid_param', `Invalid parameter(s): ${Object.keys(params).join(', ')}`, 400, { params, details });

/** 400 naming each missing parameter, as WordPress's rest_missing_callback_param does. */
export const missingParams = (names: string[]) =>
  new SidecarError('rest_missing_callback_param', `Missing parameter(s): ${names.join(', ')}`, 400, { params: names });
