import { createHmac, randomUUID } from 'node:crypto';
import axios from 'axios';
import type { Queryable } from '../../data/database.ts';
import { maybeUnserialize } from '../../data/php-serialize.ts';
import type { OutgoingWebhookRow, OutgoingWebhooksRepository } from '../../data/payments/outgoing-webhooks-repository.ts';
import type { WebhookLogsRepository } from '../../data/payments/webhook-logs-repository.ts';
import type { Logger } from '../../observability/logger.ts';

export interface DispatcherOptions {
  /** Waits before the 2nd, 3rd, ... attempt (default 30 s and 120 s). */
  retryDelaysMs?: number[];
  /** Consecutive failed deliveries after which a webhook is switched off (default 10). */
  disableAfter?: number;
  timeoutMs?: number;
}

/** `X-SLBP-Signature` value: `sha256=` + hex HMAC-SHA256 of the exact body with the webhook's secret. */
export function outgoingSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether a webhook's `events` column (JSON or PHP array, or a comma list; `*` = all) includes `event`. */
export function subscribesTo(events: string, event: string): boolean {
  let list: unknown;
  try {
    list = events.trim().startsWith('[') || events.trim().startsWith('{') ? JSON.parse(events) : maybeUnserialize(events, 'webhook events');
  } catch {
    return false;
  }
  const names = Array.isArray(list) ? list : list && typeof list === 'object' ? Object.values(list) : String(list ?? '').split(',');
  return names.map((n) => String(n).trim()).some((n) => n === '*' || n === event);
}

/**
 * Outgoing webhooks from `{prefix}slbp_webhooks`: JSON `{event, data, timestamp, webhook{id, name}}`
 * signed per webhook, three attempts (the retries after 30 s and 120 s), each attempt logged in
 * `slbp_webhook_logs`. Retries wait in this process; a restart drops the retries still waiting.
 */
export class WebhookDispatcher {
  private readonly delays: number[];
  private readonly disableAfter: number;
  private readonly timeoutMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly q: Queryable,
    private readonly hooks: OutgoingWebhooksRepository,
    private readonly logs: WebhookLogsRepository,
    private readonly logger: Logger,
    opts: DispatcherOptions = {},
  ) {
    this.delays = opts.retryDelaysMs ?? [30_000, 120_000];
    this.disableAfter = opts.disableAfter ?? 10;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Sends `event` to every active webhook subscribed to it; resolves once each first attempt is done. */
  dispatch(event: string, data: unknown): Promise<void> {
    return this.track(
      (async () => {
        const hooks = (await this.hooks.active(this.q)).filter((h) => subscribesTo(h.events, event));
        await Promise.all(hooks.map((h) => this.attempt(h, event, data, randomUUID(), 1)));
      })(),
    );
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private attempt(hook: OutgoingWebhookRow, event: string, data: unknown, deliveryId: string, n: number): Promise<void> {
    return this.track(this.send(hook, event, data, deliveryId, n));
  }

  private async send(hook: OutgoingWebhookRow, event: string, data: unknown, deliveryId: string, n: number): Promise<void> {
    const body = JSON.stringify({ event, data, timestamp: new Date().toISOString(), webhook: { id: Number(hook.id), name: hook.name } });
    let code: number | null = null;
    let text: string;
    try {
      const res = await axios.post(hook.url, body, {
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'SkyLearn-Billing-Sidecar',
          'X-SLBP-Event': event,
          'X-SLBP-Delivery': deliveryId,
          'X-SLBP-Signature': outgoingSignature(hook.secret, body),
        },
        timeout: this.timeoutMs,
        responseType: 'text',
        transformResponse: (x) => x,
        validateStatus: () => true,
        maxRedirects: 0,
      });
      code = res.status;
      text = String(res.data ?? '').slice(0, 2000);
    } catch (err) {
      text = (err as Error).message;
    }
    const ok = code !== null && code >= 200 && code < 300;
    const last = n > this.delays.length;
    const status = ok ? 'success' : last ? 'failed' : 'retrying';
    await this.logs.insert(this.q, {
      webhookId: Number(hook.id),
      event,
      payload: body,
      responseCode: code,
      responseBody: text,
      status,
      attempts: n,
    });
    if (ok) {
      await this.hooks.recordSuccess(this.q, hook.id);
      return;
    }
    if (last) {
      const disabled = await this.hooks.recordFailure(this.q, hook.id, this.disableAfter);
      this.logger.warn('outgoing webhook delivery failed', { webhook_id: hook.id, event, attempts: n, disabled });
      return;
    }
    if (this.stopped) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.attempt(hook, event, data, deliveryId, n + 1).catch((err) =>
          this.logger.warn('outgoing webhook retry failed', { error: (err as Error).message }),
        );
      },
      this.delays[n - 1],
    );
    timer.unref();
    this.timers.add(timer);
  }

  /** Resolves when no attempt is running or waiting (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size || this.timers.size) {
      await Promise.allSettled([...this.inflight]);
      if (this.timers.size) await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Drops waiting retries and lets running attempts finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
  }
}
