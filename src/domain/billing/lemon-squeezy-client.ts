import axios, { type AxiosInstance } from 'axios';

/** The gateway refused or could not be reached; the row must stay unchanged. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface GatewayCredentials {
  apiKey: string;
  storeId?: string;
}

/**
 * Lemon Squeezy's subscription API (JSON:API). Cancel and resume are one PATCH of
 * `attributes.cancelled` (their DELETE also cancels, but PATCH is symmetric with resume).
 */
export class LemonSqueezyClient {
  private readonly http: AxiosInstance;

  constructor(baseUrl: string, timeoutMs: number) {
    this.http = axios.create({
      baseURL: baseUrl.replace(/\/+$/, ''),
      timeout: timeoutMs,
      headers: { Accept: 'application/vnd.api+json', 'Content-Type': 'application/vnd.api+json' },
      validateStatus: () => true,
    });
  }

  /** Sets `cancelled` on the gateway's subscription; resolves to its new status when it says one. */
  async setCancelled(
    creds: GatewayCredentials,
    subscriptionId: string,
    cancelled: boolean,
  ): Promise<{ status: string | null; endsAt: string | null }> {
    let res;
    try {
      res = await this.http.patch(
        `/subscriptions/${encodeURIComponent(subscriptionId)}`,
        { data: { type: 'subscriptions', id: subscriptionId, attributes: { cancelled } } },
        { headers: { Authorization: `Bearer ${creds.apiKey}` } },
      );
    } catch (err) {
      throw new GatewayError(`Lemon Squeezy could not be reached: ${(err as Error).message}`, null);
    }
    if (res.status < 200 || res.status >= 300) {
      const errors = (res.data as { errors?: { detail?: string; title?: string }[] } | undefined)?.errors;
      const detail = errors
        ?.map((e) => e.detail ?? e.title)
        .filter(Boolean)
        .join('; ');
      throw new GatewayError(detail || `Lemon Squeezy answered HTTP ${res.status}`, res.status);
    }
    const attrs = (res.data as { data?: { attributes?: { status?: string; ends_at?: string | null } } })?.data?.attributes;
    return { status: attrs?.status ?? null, endsAt: attrs?.ends_at ?? null };
  }
}
