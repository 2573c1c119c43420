let savedStackLimit = Error.stackTraceLimit;

/** Turns stack capture off for the one Error about to be built (the constructor turns it back on). */
function withoutStack(message: string): string {
  savedStackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return message;
}

/**
 * An error that becomes WordPress's `{code, message, data: {status, ...}}` response. It is an
 * answer, not a fault: no stack trace is captured (that was most of the cost of a 401 or 429,
 * which floods of bad requests are made of) and none is ever logged.
 */
export class RestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly data: Record<string, unknown> = {},
  ) {
    super(withoutStack(message));
    Error.stackTraceLimit = savedStackLimit;
    this.name = 'RestError';
  }

  toBody(): { code: string; message: string; data: Record<string, unknown> } {
    return { code: this.code, message: this.message, data: { status: this.status, ...this.data } };
  }
}

export const noRoute = () => new RestError('rest_no_route', 'No route was found matching the URL and request method.', 404);

export const forbidden = (authenticated: boolean) =>
  new RestError('rest_forbidden', 'Sorry, you are not allowed to do that.', authenticated ? 403 : 401);

/** 400 naming each bad parameter, as WordPress's rest_invalid_param does. */
export const invalidParams = (params: Record<string, string>, details: Record<string, unknown> = {}) =>
  new RestError('rest_invalid_param', `Invalid parameter(s): ${Object.keys(params).join(', ')}`, 400, { params, details });

export const missingParams = (names: string[]) =>
  new RestError('rest_missing_callback_param', `Missing parameter(s): ${names.join(', ')}`, 400, { params: names });
