import type { Queryable } from '../../data/database.ts';
import type { WebhookLogRow, WebhookLogsRepository } from '../../data/payments/webhook-logs-repository.ts';

export interface WebhookLogFilter {
  webhookId?: number;
  event?: string;
  status?: string;
}

/**
 * The webhook log for administrators: incoming deliveries (`webhook_id` 0) and outgoing attempts,
 * newest first. A delivery that was signed but not applied (`status` `invalid`) says why in its
 * response body's `reason`.
 */
export class WebhookLogReader {
  constructor(
    private readonly read: Queryable,
    private readonly logs: WebhookLogsRepository,
  ) {}

  list(filter: WebhookLogFilter, limit: number, offset: number): Promise<{ rows: Omit<WebhookLogRow, 'payload'>[]; total: number }> {
    return this.logs.page(this.read, filter, limit, offset);
  }

  get(id: number): Promise<WebhookLogRow | null> {
    return this.logs.findById(this.read, id);
  }
}
