import type { WebhookLogRow } from '../../data/payments/webhook-logs-repository.ts';
import { decodeJson, isoFromDb } from '../../domain/billing/values.ts';

/** A log row as the admin sees it; `response` is the answer's JSON (an unapplied delivery's `reason` is in it). */
export function logItem(r: Omit<WebhookLogRow, 'payload'>) {
  return {
    id: Number(r.id),
    webhook_id: Number(r.webhook_id),
    direction: Number(r.webhook_id) === 0 ? 'incoming' : 'outgoing',
    event: r.event,
    status: r.status,
    response_code: r.response_code === null ? null : Number(r.response_code),
    response: r.response_body === null ? null : decodeJson(r.response_body),
    attempts: Number(r.attempts),
    created_at: isoFromDb(r.created_at),
  };
}
