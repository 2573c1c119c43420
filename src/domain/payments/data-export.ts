import { randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseRouter } from '../../data/database-router.ts';
import type { Queryable } from '../../data/database.ts';
import type { SubscriptionsRepository } from '../../data/subscriptions-repository.ts';
import type { TransactionsRepository } from '../../data/transactions-repository.ts';
import type { NotificationsRepository } from '../../data/notifications-repository.ts';

export type ExportKind = 'transactions' | 'subscriptions';

/** One CSV field, quoted when needed (RFC 4180); a leading =,+,-,@ is prefixed so spreadsheets do not run it. */
function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
}

const COLUMNS: Record<ExportKind, string[]> = {
  transactions: [
    'id',
    'order_id',
    'transaction_id',
    'payment_gateway',
    'amount',
    'currency',
    'status',
    'course_id',
    'created_at',
    'updated_at',
  ],
  subscriptions: [
    'id',
    'subscription_id',
    'payment_gateway',
    'plan_id',
    'status',
    'amount',
    'currency',
    'billing_cycle',
    'next_billing_date',
    'expires_at',
    'created_at',
    'updated_at',
  ],
};

/** Where the export of task `taskId` lives: `{dataDir}/exports/export-{taskId}.csv`. */
export const exportPath = (dir: string, taskId: number) => path.join(dir, `export-${taskId}.csv`);

/**
 * The `data_export` task: a user's transactions or subscriptions as CSV in the private exports
 * directory (0700, files 0600, written to a temp name and renamed so a half file is never served),
 * then a notification telling the owner where to fetch it.
 */
export class DataExport {
  constructor(
    private readonly dbs: DatabaseRouter,
    private readonly transactions: TransactionsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly notices: NotificationsRepository,
    private readonly dir: string,
  ) {}

  /** Writes the file (rows from the user's billing database), then adds the notification through `q` (the task's completing transaction). */
  async run(q: Queryable, taskId: number, userId: number, kind: ExportKind): Promise<string> {
    const on = this.dbs.forWrite(userId);
    const rows = await (kind === 'transactions' ? this.transactions.forExport(on, userId) : this.subscriptions.forExport(on, userId));
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = exportPath(this.dir, taskId);
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(toCsv(rows, COLUMNS[kind]));
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    await this.notices.insert(q, {
      userId,
      type: 'data_export_ready',
      title: 'Your export is ready',
      message: `Your ${kind} export (${rows.length} rows) is ready to download.`,
      data: { export_id: taskId, kind, rows: rows.length, path: `/wp-json/skylearn-billing-pro/v1/exports/${taskId}` },
    });
    return file;
  }
}
