/** An error that becomes WordPress's `{code, message, data: {status, ...}}` response. */
export class RestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
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
