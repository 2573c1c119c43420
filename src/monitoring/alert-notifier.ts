import axios from 'axios';
import type { Logger } from '../observability/logger.ts';

export interface AlertNotice {
  alert_name: string;
  status: 'active' | 'resolved';
  severity: string;
  metric: string;
  current_value: number;
  threshold: number;
  message: string;
  triggered_at: string;
  resolved_at: string | null;
  site_id: string | null;
  site_url: string;
}

/**
 * Delivers alert notices to a rule's webhook URL (the notice as JSON) and Slack incoming webhook
 * (`{text}`). A failed delivery is logged at WARN and never stops the evaluation.
 */
export class AlertNotifier {
  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  async notify(notice: AlertNotice, targets: { webhook_url: string; slack_webhook: string; email_recipients: string[] }): Promise<number> {
    const jobs: Promise<boolean>[] = [];
    if (targets.webhook_url) jobs.push(this.post(targets.webhook_url, notice, notice.alert_name));
    if (targets.slack_webhook) {
      const icon = notice.status === 'resolved' ? ':white_check_mark:' : notice.severity === 'critical' ? ':rotating_light:' : ':warning:';
      const text = `${icon} [${notice.severity.toUpperCase()}] ${notice.alert_name} ${notice.status === 'resolved' ? 'resolved' : 'firing'}: ${notice.message}`;
      jobs.push(this.post(targets.slack_webhook, { text }, notice.alert_name));
    }
    if (targets.email_recipients.length) {
      // WordPress sends mail; the sidecar has no mailer. Say so once per notice instead of dropping it silently.
      this.logger.info('alert e-mail recipients are configured but the sidecar does not send e-mail; use a webhook', {
        alert: notice.alert_name,
      });
    }
    return (await Promise.all(jobs)).filter(Boolean).length;
  }

  private async post(url: string, body: unknown, alert: string): Promise<boolean> {
    try {
      await axios.post(url, body, {
        timeout: this.timeoutMs,
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'skylearn-billing-sidecar' },
        maxRedirects: 0,
      });
      return true;
    } catch (err) {
      this.logger.warn('alert notification failed', { alert, target: new URL(url).host, error: (err as Error).message });
      return false;
    }
  }
}
