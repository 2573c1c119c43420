import mysql, { type Pool, type PoolConnection, type PoolOptions } from 'mysql2';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Config } from '../config/schema.ts';
import { parseDbHost } from '../config/load.ts';

/** Anything that runs a parameterised query: a pool-backed handle or one connection in a transaction. */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows are typed at each call site; untyped calls read them loosely
  query<T = any>(sql: string, params?: unknown[]): Promise<T>;
}

/** A connection held by one caller until it calls `release()` or `destroy()`. */
export interface DedicatedConnection extends Queryable {
  /**
   * Streams a query's rows (no deadline), each an array of the columns' bytes as the server
   * sent them in text (null for NULL): nothing converted, for writing them back exactly.
   */
  streamRaw(sql: string): Readable;
  release(): void;
  destroy(): void;
}

/** The database could not be reached or did not answer in time (maps to 503). */
export class DatabaseUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface QueryEvent {
  sql: string;
  ms: number;
  pool: string;
  ok: boolean;
}
export interface PoolStats {
  name: string;
  total: number;
  free: number;
  queued: number;
  limit: number;
}

/**
 * The kinds of work that have connections of their own on the writer (bulkheads): a slow table
 * or a burst of one kind fills only its own pool (docs/decisions/0030-webhook-contention-and-bulkheads.md).
 * Everything else (administration, jobs, backups) uses the writer pool itself.
 */
export const LANES = ['webhooks', 'billing', 'identity', 'probes'] as const;
export type Lane = (typeof LANES)[number];

/** How one transaction runs (docs/decisions/0030-webhook-contention-and-bulkheads.md). */
export interface TransactionOptions {
  /** The lane whose connection runs it (default: the writer pool). */
  lane?: Lane;
  /** READ COMMITTED: locking reads of rows that do not exist take no gap locks, so inserts of unrelated keys never deadlock. */
  isolation?: 'READ COMMITTED';
  /**
   * Named locks (MariaDB GET_LOCK) taken, in sorted order, before the transaction starts and
   * released after it ends: one writer at a time per name, on every node sharing the server.
   */
  locks?: string[];
}

/** How long a transaction waits for one of its named locks before it is retried like a lock-wait timeout. */
const NAMED_LOCK_WAIT_SEC = 5;

const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'EPIPE',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  // The server is going down or killed the connection (a restart, an operator's KILL).
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_NORMAL_SHUTDOWN',
]);

function classify(err: unknown): Error {
  const e = err as NodeJS.ErrnoException & { fatal?: boolean };
  if (e && (UNAVAILABLE.has(e.code ?? '') || e.fatal || /Pool is closed|Queue limit reached|Connection lost/i.test(e.message ?? ''))) {
    return new DatabaseUnavailableError(`database unavailable: ${e.code ?? e.message}`, err);
  }
  return e;
}

/**
 * `host:port/database`, `host:/socket/database`, `/database` or `database` (the last two on
 * DB_HOST): the database name is what follows the last slash, since socket paths hold slashes.
 */
export function splitShardSpec(spec: string): { host: string | null; database: string } {
  const cut = spec.lastIndexOf('/');
  if (cut < 0) return { host: null, database: spec };
  return { host: spec.slice(0, cut) || null, database: spec.slice(cut + 1) };
}

interface NamedPool {
  name: string;
  pool: Pool;
  limit: number;
}

/**
 * The writer pool and optional reader pools behind one interface. Every connection runs in UTC
 * with utf8mb4; DECIMAL comes back as strings and BIGINT as safe numbers or strings, so money
 * and ids never lose precision. Waiting for a connection and each query are bounded in time.
 */
export class Database extends EventEmitter {
  readonly writer: NamedPool;
  readonly readers: NamedPool[];
  /** Billing shard pools, in SLBP_SHARDS order (shard i holds users with user_id % N = i). */
  readonly shards: NamedPool[];
  /** The writer's lanes: a pool of its own per kind of work, each `SLBP_DB_POOL_<KIND>` connections. */
  readonly lanes: Record<Lane, NamedPool>;
  private closed = false;

  constructor(private readonly cfg: Config['db']) {
    super();
    this.writer = this.makePool('writer', cfg.writeHost ?? null, cfg.connectionLimit);
    this.lanes = Object.fromEntries(
      LANES.map((lane) => [lane, this.makePool(`writer/${lane}`, cfg.writeHost ?? null, cfg.lanes[lane])]),
    ) as Record<Lane, NamedPool>;
    this.readers = cfg.readHosts.map((h, i) => this.makePool(`reader${i + 1}`, h, cfg.readConnectionLimit));
    this.shards = cfg.shards.map((s, i) => {
      const { host, database } = splitShardSpec(s);
      // Ids written on shard i are ≡ i + 1 (mod N), so they are unique across shards: merged lists
      // and lookups by id work without a central sequence (docs/decisions/0019-shard-writes.md).
      return this.makePool(
        `shard${i}`,
        host,
        cfg.connectionLimit,
        database,
        `, auto_increment_increment = ${cfg.shards.length}, auto_increment_offset = ${i + 1}`,
      );
    });
  }

  /** Queryables on the shard pools (the writer of each shard; shards have no replicas here). */
  shardQueryables(): Queryable[] {
    return this.shards.map((p) => ({ query: (sql, params) => this.queryOn(p, sql, params) }));
  }

  private makePool(name: string, hostSpec: string | null, limit: number, database = this.cfg.name, sessionExtra = ''): NamedPool {
    const parsed = hostSpec ? parseDbHost(hostSpec) : null;
    const opts: PoolOptions = {
      host: parsed?.host ?? this.cfg.host,
      port: parsed?.port ?? (parsed ? 3306 : this.cfg.port),
      user: this.cfg.user,
      password: this.cfg.password,
      database,
      charset: 'UTF8MB4_UNICODE_CI',
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: false,
      connectionLimit: limit,
      maxIdle: limit,
      idleTimeout: 60_000,
      queueLimit: this.cfg.queueLimit,
      waitForConnections: true,
      connectTimeout: this.cfg.connectTimeoutMs,
      enableKeepAlive: true,
      multipleStatements: false,
    };
    const socketPath = parsed ? parsed.socketPath : this.cfg.socketPath;
    if (socketPath) opts.socketPath = socketPath;
    const pool = mysql.createPool(opts);
    // Session settings every query relies on; queued on the connection before any caller's query.
    pool.on('connection', (conn) => {
      conn.query(`SET time_zone = '+00:00', NAMES utf8mb4 COLLATE utf8mb4_unicode_520_ci${sessionExtra}`, () => undefined);
    });
    return { name, pool, limit };
  }

  private acquire(p: NamedPool, timeoutMs: number): Promise<PoolConnection> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new DatabaseUnavailableError(`timed out after ${timeoutMs} ms waiting for a ${p.name} connection`));
      }, timeoutMs);
      p.pool.getConnection((err, conn) => {
        if (settled) {
          conn?.release();
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (err) reject(classify(err));
        else resolve(conn);
      });
    });
  }

  private run<T>(conn: PoolConnection, poolName: string, sql: string, params: unknown[] | undefined, timeout: number): Promise<T> {
    const started = performance.now();
    return new Promise<T>((resolve, reject) => {
      conn.query({ sql, values: params, timeout }, (err, rows) => {
        const ms = performance.now() - started;
        this.emit('query', { sql, ms, pool: poolName, ok: !err } satisfies QueryEvent);
        if (err) {
          const e = err as NodeJS.ErrnoException;
          if (e.code === 'PROTOCOL_SEQUENCE_TIMEOUT') reject(new DatabaseUnavailableError(`query timed out after ${timeout} ms`, err));
          else reject(classify(err));
        } else resolve(rows as T);
      });
    });
  }

  /** Runs one query on a pool with bounded waiting and a query timeout. */
  async queryOn<T>(p: NamedPool, sql: string, params?: unknown[], timeoutMs?: number): Promise<T> {
    if (this.closed) throw new DatabaseUnavailableError('database pools are closed');
    const timeout = timeoutMs ?? this.cfg.queryTimeoutMs;
    const conn = await this.acquire(p, Math.min(this.cfg.acquireTimeoutMs, timeout));
    try {
      return await this.run<T>(conn, p.name, sql, params, timeout);
    } finally {
      conn.release();
    }
  }

  /** Queryable bound to the writer (primary). */
  readonly write: Queryable = { query: (sql, params) => this.queryOn(this.writer, sql, params) };

  /** Queryable for reads: a reader pool when configured (round robin), else the writer. */
  readonly read: Queryable = {
    query: (sql, params) => this.queryOn(this.pickReader(), sql, params),
  };

  private readonly laneQueryables = new Map<Lane, Queryable>();

  /**
   * The writer through `lane`'s own connections. The billing lane also bounds each table to half
   * of its connections, so queries waiting on one locked table leave the rest for the others.
   */
  lane(lane: Lane): Queryable {
    let q = this.laneQueryables.get(lane);
    if (!q) {
      const p = this.lanes[lane];
      const perTable = lane === 'billing' ? new TableShare(Math.max(1, Math.ceil(p.limit / 2))) : null;
      q = perTable
        ? { query: (sql, params) => perTable.run(sql, this.cfg.acquireTimeoutMs, () => this.queryOn(p, sql, params)) }
        : { query: (sql, params) => this.queryOn(p, sql, params) };
      this.laneQueryables.set(lane, q);
    }
    return q;
  }

  /** Reads of one kind of work: a healthy replica when there is one, else the writer through `lane`. */
  laneRead(lane: Lane): Queryable {
    const onLane = this.lane(lane);
    return {
      query: (sql, params) => {
        const pool = this.pickReader();
        return pool === this.writer ? onLane.query(sql, params) : this.queryOn(pool, sql, params);
      },
    };
  }

  private rr = 0;
  private readerFilter: (p: NamedPool) => boolean = () => true;

  /** Lets replica health tracking exclude lagging or dead readers. */
  setReaderFilter(fn: (p: NamedPool) => boolean): void {
    this.readerFilter = fn;
  }

  pickReader(): NamedPool {
    const usable = this.readers.filter(this.readerFilter);
    if (!usable.length) return this.writer;
    this.rr = (this.rr + 1) % usable.length;
    return usable[this.rr]!;
  }

  /** Runs fn inside one transaction on the writer; commits on success, rolls back on any error. */
  transaction<T>(fn: (q: Queryable) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    return this.transactionOn(opts.lane ? this.lanes[opts.lane] : this.writer, fn, opts);
  }

  /** Runs fn inside one transaction on billing shard `index` (see `shards`); same contract as `transaction`. */
  shardTransaction<T>(index: number, fn: (q: Queryable) => Promise<T>, opts: Omit<TransactionOptions, 'lane'> = {}): Promise<T> {
    const p = this.shards[index];
    if (!p) throw new RangeError(`no billing shard ${index} (SLBP_SHARDS lists ${this.shards.length})`);
    return this.transactionOn(p, fn, opts);
  }

  private async transactionOn<T>(p: NamedPool, fn: (q: Queryable) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    const conn = await this.acquire(p, this.cfg.acquireTimeoutMs);
    const q: Queryable = { query: (sql, params) => this.run(conn, p.name, sql, params, this.cfg.queryTimeoutMs) };
    const locks = [...new Set(opts.locks ?? [])].sort().map((name) => this.lockName(name));
    let broken = false;
    try {
      for (const name of locks) {
        const [row] = await q.query<{ got: number | null }[]>('SELECT GET_LOCK(?, ?) AS got', [name, NAMED_LOCK_WAIT_SEC]);
        if (row?.got !== 1)
          throw Object.assign(new Error(`named lock ${name} not granted in ${NAMED_LOCK_WAIT_SEC} s`), { code: 'ER_LOCK_WAIT_TIMEOUT' });
      }
      if (opts.isolation) await q.query(`SET TRANSACTION ISOLATION LEVEL ${opts.isolation}`);
      await q.query('START TRANSACTION');
      const out = await fn(q);
      await q.query('COMMIT');
      return out;
    } catch (err) {
      await q.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      // Named locks outlive transactions: released here, or with the connection when it is closed.
      if (locks.length && !broken) await q.query('DO RELEASE_ALL_LOCKS()').catch(() => (broken = true));
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  /**
   * A GET_LOCK name (at most 64 characters) for `name` on this site (database and table prefix):
   * sites sharing a server, or a database under other prefixes, do not wait on each other.
   */
  private lockName(name: string): string {
    return `slbp:${createHash('sha1').update(`${this.cfg.name}\0${this.cfg.tablePrefix}\0${name}`).digest('hex')}`;
  }

  /**
   * One writer connection of the caller's own, for session state that must outlive a query
   * (LOCK TABLES, a consistent snapshot). `release()` returns it to the pool; `destroy()` closes
   * it, which also drops whatever it held: the way out after an error.
   */
  async dedicated(queryTimeoutMs = this.cfg.queryTimeoutMs): Promise<DedicatedConnection> {
    const conn = await this.acquire(this.writer, this.cfg.acquireTimeoutMs);
    let done = false;
    return {
      query: (sql, params) => this.run(conn, this.writer.name, sql, params, queryTimeoutMs),
      streamRaw: (sql) => conn.query({ sql, rowsAsArray: true, typeCast: (field) => field.buffer() }).stream({ highWaterMark: 256 }),
      release: () => {
        if (!done) {
          done = true;
          conn.release();
        }
      },
      destroy: () => {
        if (!done) {
          done = true;
          conn.destroy();
        }
      },
    };
  }

  /** `SELECT 1` on the writer with a short deadline; resolves to the round trip in ms. */
  async ping(timeoutMs: number): Promise<number> {
    const t = performance.now();
    await this.queryOn(this.lanes.probes, 'SELECT 1', [], timeoutMs);
    return performance.now() - t;
  }

  stats(): PoolStats[] {
    return [this.writer, ...Object.values(this.lanes), ...this.readers, ...this.shards].map(({ name, pool, limit }) => {
      const inner = pool as unknown as {
        _allConnections: { length: number };
        _freeConnections: { length: number };
        _connectionQueue: { length: number };
      };
      return {
        name,
        limit,
        total: inner._allConnections.length,
        free: inner._freeConnections.length,
        queued: inner._connectionQueue.length,
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [this.writer, ...Object.values(this.lanes), ...this.readers, ...this.shards].map(
        (p) => new Promise<void>((r) => p.pool.end(() => r())),
      ),
    );
  }
}

/** The first table a statement reads (`FROM \`table\``), the unit TableShare bounds. */
const FROM_TABLE = /\bFROM\s+`([^`]+)`/i;

/**
 * At most `max` queries in flight per table; the others wait (holding no connection) for up to
 * the acquire timeout, then fail as the database being unavailable would. A table locked for a
 * while then holds at most `max` of a lane's connections.
 */
export class TableShare {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly max: number) {}

  async run<T>(sql: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    const table = FROM_TABLE.exec(sql)?.[1] ?? '';
    if ((this.running.get(table) ?? 0) >= this.max) await this.wait(table, timeoutMs);
    this.running.set(table, (this.running.get(table) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      const next = this.waiting.get(table)?.shift();
      this.running.set(table, (this.running.get(table) ?? 1) - 1);
      if (next) next();
      else if (!this.running.get(table)) this.running.delete(table);
    }
  }

  private wait(table: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(table) ?? [];
      this.waiting.set(table, queue);
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = queue.indexOf(go);
        if (i >= 0) queue.splice(i, 1);
        if (!queue.length) this.waiting.delete(table);
        reject(new DatabaseUnavailableError(`timed out after ${timeoutMs} ms waiting for a connection to read ${table || 'the database'}`));
      }, timeoutMs);
      queue.push(go);
    });
  }
}
