import type { Logger } from './logger.ts';

/** What makes two failures "the same": the error code where there is one, else the message without numbers. */
function failureKey(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = e?.code ?? e?.cause?.code;
  if (typeof code === 'string' && code) return code;
  return String(e?.message ?? err).replace(/\d+/g, '#');
}

/**
 * Logs a failure that repeats on every attempt (a poll, a refresh, a retry) once per change of
 * state: the first failure and each different error as WARN, the recovery as INFO with the
 * number of failed attempts. A database that is down for a night then costs a few log lines,
 * not one per second (86,400 a day).
 */
export class FailureLog {
  private failing: string | null = null;
  private attempts = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  /** Whether the last attempt failed. */
  get isFailing(): boolean {
    return this.failing !== null;
  }

  /** Consecutive failed attempts so far (0 once it works). */
  get failures(): number {
    return this.attempts;
  }

  failed(err: unknown, meta: Record<string, unknown> = {}): void {
    this.attempts++;
    const key = failureKey(err);
    if (key === this.failing) return;
    this.failing = key;
    this.logger.warn(`${this.what} failed; retrying (logged again when the error changes or it recovers)`, {
      error: (err as Error)?.message ?? String(err),
      ...meta,
    });
  }

  succeeded(meta: Record<string, unknown> = {}): void {
    if (this.failing !== null) this.logger.info(`${this.what} works again`, { failed_attempts: this.attempts, ...meta });
    this.failing = null;
    this.attempts = 0;
  }
}
