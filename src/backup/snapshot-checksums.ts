import { Transform, pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackupRepository, TableDigest } from '../data/backup-repository.ts';
import type { Database, DedicatedConnection } from '../data/database.ts';

/** Per-table digests read in the same snapshot as the dump; kept in the manifest (docs/decisions/0025-snapshot-checksums.md). */
export interface SnapshotChecksums {
  method: 'lock-tables+consistent-snapshot';
  taken_at: string;
  tables: Record<string, TableDigest>;
  /** Tables whose rows the backup wrote itself: their FLOAT columns are digested exactly (absent before #24). */
  exact_rows?: string[];
}

/** A connection of its own inside `START TRANSACTION WITH CONSISTENT SNAPSHOT` (REPEATABLE READ). */
export async function openSnapshot(db: Database, timeoutMs: number): Promise<DedicatedConnection> {
  const c = await db.dedicated(timeoutMs);
  try {
    await c.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    return c;
  } catch (err) {
    c.destroy();
    throw err;
  }
}

export interface SnapshotOptions {
  db: Database;
  repo: BackupRepository;
  /** Seconds one LOCK TABLES waits for running write transactions (writers queue behind it meanwhile). */
  lockWaitSec?: number;
  attempts?: number;
  /** Longest wait for mysqldump to start its snapshot while writes are held. */
  startTimeoutMs?: number;
  /** Per table: a digest reads every row. */
  digestTimeoutMs?: number;
}

/**
 * What mysqldump writes only while dumping objects. Its main() runs `START TRANSACTION WITH
 * CONSISTENT SNAPSHOT` (and waits for the answer) before it dumps the first object, so once one
 * of these lines comes out of its stdout, its snapshot exists. The header before them does not count.
 */
const DUMPING =
  /^-- (Table structure for table|Temporary table structure for view|Dumping routines for database|Dumping events for database) /m;

const quoted = (name: string): string => `\`${name.replaceAll('`', '``')}\``;
const isLockWait = (err: unknown) =>
  /Lock wait timeout|ER_LOCK_WAIT_TIMEOUT/i.test(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);

/**
 * Checksums of the data exactly as one dump sees it. mysqldump's --single-transaction snapshot
 * cannot be shared, so the two snapshots are made equal instead: with `LOCK TABLES ... READ` on
 * every dumped table held on one connection (it waits for running write transactions to end and
 * holds new ones), a second connection starts its own consistent snapshot, mysqldump starts its
 * one, and only once mysqldump is seen dumping are the tables unlocked. No commit to those tables
 * can fall between the two snapshots, so digests read in the second one describe the dump.
 * Anything that goes wrong leaves the backup itself alone: it goes on without checksums, and
 * `problem` says why.
 */
export class DumpSnapshot {
  private lock: DedicatedConnection | null = null;
  private snap: DedicatedConnection | null = null;
  /** A second snapshot equal to the dump's, for the rows the backup writes itself (exact-rows.ts). */
  private rows: DedicatedConnection | null = null;
  private takenAt = '';
  private markStarted: () => void = () => undefined;
  private readonly started = new Promise<void>((resolve) => {
    this.markStarted = resolve;
  });
  problem: string | null = null;

  constructor(
    private readonly o: SnapshotOptions,
    private readonly database: string,
    private readonly tables: string[],
    /** Tables whose rows the backup writes itself from takeRows()'s connection. */
    private readonly exact: string[] = [],
  ) {}

  /** Holds writes to the tables and opens the checksum snapshot. */
  async prepare(): Promise<void> {
    if (!this.tables.length) return;
    try {
      this.lock = await this.lockTables();
      this.snap = await openSnapshot(this.o.db, this.o.digestTimeoutMs ?? 600_000);
      if (this.exact.length) this.rows = await openSnapshot(this.o.db, this.o.digestTimeoutMs ?? 600_000);
      this.takenAt = new Date().toISOString();
    } catch (err) {
      this.giveUp(`could not hold the tables for a consistent snapshot: ${(err as Error).message}`);
    }
  }

  private async lockTables(): Promise<DedicatedConnection> {
    const list = this.tables.map((t) => `${quoted(this.database)}.${quoted(t)} READ`).join(', ');
    for (let attempt = 1; ; attempt++) {
      const c = await this.o.db.dedicated();
      try {
        await c.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(this.o.lockWaitSec ?? 2))}`);
        await c.query(`LOCK TABLES ${list}`);
        return c;
      } catch (err) {
        c.destroy();
        // A long write transaction holds a table: try again shortly rather than stall the store.
        if (attempt >= (this.o.attempts ?? 3) || !isLockWait(err)) throw err;
        await sleep(500 * attempt);
      }
    }
  }

  /**
   * A connection whose snapshot was taken under the same lock as the digests' (so it equals the
   * dump's when checksums() sees the dump start in time), for the rows the backup writes itself;
   * the caller owns it from here. Null when the tables could not be held.
   */
  takeRows(): DedicatedConnection | null {
    const c = this.rows;
    this.rows = null;
    return c;
  }

  /** The dump's stdout, passed through unchanged, watched for the first object mysqldump dumps. */
  watch(out: Readable): Readable {
    let tail = '';
    let seen = false;
    const markStarted = () => this.markStarted();
    const t = new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (!seen) {
          const text = tail + chunk.toString('latin1');
          if (DUMPING.test(text)) {
            seen = true;
            markStarted();
          } else tail = text.slice(-200);
        }
        done(null, chunk);
      },
    });
    return pipeline(out, t, () => undefined);
  }

  /**
   * Waits until the dump has its snapshot (or ended), lets writes go on, then digests every table
   * in the checksum snapshot. Never throws: without checksums, `problem` says why.
   */
  async checksums(dump: Promise<unknown>): Promise<SnapshotChecksums | null> {
    if (!this.lock || !this.snap) return null;
    const timeoutMs = this.o.startTimeoutMs ?? 15_000;
    const outcome = await Promise.race([
      this.started.then(() => 'started' as const),
      // A dump that ended well took its snapshot; one that failed makes the backup fail anyway.
      dump.then(
        () => 'started' as const,
        () => 'failed' as const,
      ),
      sleep(timeoutMs).then(() => 'timeout' as const),
    ]);
    try {
      await this.lock.query('UNLOCK TABLES');
      this.lock.release();
    } catch {
      this.lock.destroy();
    }
    this.lock = null;
    if (outcome !== 'started') {
      this.giveUp(outcome === 'timeout' ? `mysqldump did not start its snapshot within ${timeoutMs / 1000} s` : 'mysqldump failed');
      return null;
    }
    try {
      const tables: Record<string, TableDigest> = {};
      const exact = new Set(this.exact);
      for (const t of this.tables) tables[t] = await this.o.repo.digest(this.snap, this.database, t, { exactFloat: exact.has(t) });
      await this.snap.query('COMMIT');
      this.snap.release();
      this.snap = null;
      return {
        method: 'lock-tables+consistent-snapshot',
        taken_at: this.takenAt,
        tables,
        ...(this.exact.length ? { exact_rows: [...this.exact] } : {}),
      };
    } catch (err) {
      this.giveUp(`could not read the checksums in the snapshot: ${(err as Error).message}`);
      return null;
    }
  }

  /** Drops both connections (and with them any lock or snapshot) and records why. */
  private giveUp(problem: string): void {
    this.problem = problem;
    this.close();
  }

  /** Whatever happened, nothing stays locked or open (safe to call more than once). */
  close(): void {
    this.lock?.destroy();
    this.snap?.destroy();
    this.rows?.destroy();
    this.lock = null;
    this.snap = null;
    this.rows = null;
  }
}
