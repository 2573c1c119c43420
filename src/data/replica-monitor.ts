import type { CheckResult } from '../observability/checks.ts';
import type { Logger } from '../observability/logger.ts';
import type { Database } from './database.ts';

/** What one poll learned about a read replica. */
export interface ReplicaState {
  name: string;
  /** Whether reads are sent to it right now. */
  usable: boolean;
  /** Seconds_Behind_Master; null when replication is stopped or the server is unreachable. */
  lagSeconds: number | null;
  ioRunning: boolean | null;
  sqlRunning: boolean | null;
  reason: string;
  checkedAt: string | null;
}

type StatusRow = Record<string, unknown>;

/**
 * Decides from one `SHOW SLAVE STATUS` answer whether a reader may serve reads. Both threads must
 * run and the lag must be known and at most `maxLagSec`: a stopped SQL thread reports NULL lag
 * while its data silently ages. A server with no replication configured is a plain copy the
 * operator chose to read from, so it is used with lag 0.
 */
export function assessReplica(rows: StatusRow[], maxLagSec: number): Omit<ReplicaState, 'name' | 'checkedAt'> {
  const row = rows[0];
  if (!row) return { usable: true, lagSeconds: 0, ioRunning: null, sqlRunning: null, reason: 'not a replica (no replication configured)' };
  const io = String(row.Slave_IO_Running ?? '') === 'Yes';
  const sql = String(row.Slave_SQL_Running ?? '') === 'Yes';
  const raw = row.Seconds_Behind_Master;
  const lag = raw === null || raw === undefined ? null : Number(raw);
  if (!io || !sql) {
    const err = String(row.Last_SQL_Error || row.Last_IO_Error || '').slice(0, 200);
    return {
      usable: false,
      lagSeconds: lag,
      ioRunning: io,
      sqlRunning: sql,
      reason: `replication stopped (IO ${io ? 'running' : 'stopped'}, SQL ${sql ? 'running' : 'stopped'})${err ? `: ${err}` : ''}`,
    };
  }
  if (lag === null || Number.isNaN(lag)) return { usable: false, lagSeconds: null, ioRunning: io, sqlRunning: sql, reason: 'lag unknown' };
  if (lag > maxLagSec)
    return { usable: false, lagSeconds: lag, ioRunning: io, sqlRunning: sql, reason: `lag ${lag} s exceeds ${maxLagSec} s` };
  return { usable: true, lagSeconds: lag, ioRunning: io, sqlRunning: sql, reason: 'replicating' };
}

export interface ReplicaMonitorOptions {
  maxLagSec: number;
  intervalMs: number;
  timeoutMs: number;
}

/**
 * Polls every reader's replication status and keeps lagging, stopped or unreachable readers out
 * of `db.read` until they recover (reads then go to the other readers, or to the writer). A
 * reader is not used before its first good check. Transitions are logged as WARN/INFO: a lagging
 * replica heals itself, so it is never an ERROR.
 */
export class ReplicaMonitor {
  readonly name = 'replica-monitor';
  private readonly states = new Map<string, ReplicaState>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly opts: ReplicaMonitorOptions,
    private readonly log: Logger,
  ) {
    for (const r of db.readers) {
      this.states.set(r.name, {
        name: r.name,
        usable: false,
        lagSeconds: null,
        ioRunning: null,
        sqlRunning: null,
        reason: 'not checked yet',
        checkedAt: null,
      });
    }
    db.setReaderFilter((p) => this.states.get(p.name)?.usable ?? false);
  }

  async start(): Promise<void> {
    if (!this.db.readers.length) return;
    await this.poll();
    this.timer = setInterval(() => {
      void this.poll();
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round of checks over every reader (concurrent rounds are merged into one). */
  poll(): Promise<void> {
    this.polling ??= Promise.all(
      this.db.readers.map(async (r) => {
        let next: Omit<ReplicaState, 'name' | 'checkedAt'>;
        try {
          const rows = await this.db.queryOn<StatusRow[]>(r, 'SHOW SLAVE STATUS', [], this.opts.timeoutMs);
          next = assessReplica(rows, this.opts.maxLagSec);
        } catch (err) {
          next = { usable: false, lagSeconds: null, ioRunning: null, sqlRunning: null, reason: `unreachable: ${(err as Error).message}` };
        }
        const prev = this.states.get(r.name);
        if (prev && prev.usable !== next.usable && prev.checkedAt !== null) {
          if (next.usable) this.log.info('read replica back in use', { replica: r.name, lag_seconds: next.lagSeconds });
          else this.log.warn('read replica skipped; its reads go elsewhere until it recovers', { replica: r.name, reason: next.reason });
        } else if (prev?.checkedAt === null && !next.usable) {
          this.log.warn('read replica not usable at start', { replica: r.name, reason: next.reason });
        }
        this.states.set(r.name, { name: r.name, ...next, checkedAt: new Date().toISOString() });
      }),
    )
      .then(() => undefined)
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  /** Every reader's latest state, for /metrics (lag gauge) and diagnostics. */
  replicaLag(): ReplicaState[] {
    return [...this.states.values()].map((s) => ({ ...s }));
  }

  /** The `replicas` section of /health/detailed. */
  detail(): CheckResult {
    const all = this.replicaLag();
    if (!all.length)
      return {
        healthy: true,
        message: 'No read replicas configured; reads use the primary',
        max_lag_seconds: this.opts.maxLagSec,
        replicas: [],
      };
    const usable = all.filter((s) => s.usable).length;
    return {
      healthy: usable === all.length,
      message:
        usable === all.length
          ? `All ${all.length} read replica(s) in use`
          : `${all.length - usable} of ${all.length} read replica(s) skipped; ${usable ? 'reads use the others' : 'reads use the primary'}`,
      max_lag_seconds: this.opts.maxLagSec,
      replicas: all.map((s) => ({
        name: s.name,
        in_use: s.usable,
        lag_seconds: s.lagSeconds,
        io_running: s.ioRunning,
        sql_running: s.sqlRunning,
        reason: s.reason,
        checked_at: s.checkedAt,
      })),
    };
  }
}
