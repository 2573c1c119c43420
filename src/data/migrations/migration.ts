import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

/** One reversible, idempotent schema change: `up` twice is a no-op, `down` undoes exactly `up`. */
export interface Migration {
  id: string;
  description: string;
  /** How many steps `up` takes (each reported to `onStep`), for progress. */
  steps: number;
  up(q: Queryable, tables: Tables, onStep?: () => void): Promise<string[]>;
  down(q: Queryable, tables: Tables): Promise<string[]>;
  /** What `up` would still do on this database (empty when it is applied). */
  pending(q: Queryable, tables: Tables): Promise<string[]>;
}

/** An index the sidecar adds; the names carry `slbp_sc_` so `down` never touches the plugin's own. */
export interface IndexSpec {
  table: (t: Tables) => string;
  name: string;
  columns: string[];
}

export async function indexExists(q: Queryable, table: string, name: string): Promise<boolean> {
  const rows = await q.query<{ n: number | string }[]>(
    'SELECT COUNT(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?',
    [table, name],
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Creates each missing index; resolves to what it did. `onStep` hears each index checked or built. */
export async function addIndexes(q: Queryable, tables: Tables, specs: IndexSpec[], onStep?: () => void): Promise<string[]> {
  const done: string[] = [];
  for (const s of specs) {
    const table = s.table(tables);
    if (!(await indexExists(q, table, s.name))) {
      // ALGORITHM=INPLACE, LOCK=NONE: the plugin keeps writing while the index builds.
      await q.query(
        `ALTER TABLE \`${table}\` ADD INDEX \`${s.name}\` (${s.columns.map((c) => `\`${c}\``).join(', ')}), ALGORITHM=INPLACE, LOCK=NONE`,
      );
      done.push(`added ${table}.${s.name}`);
    }
    onStep?.();
  }
  return done;
}

/** The indexes of `specs` that do not exist yet, as `table.index`. */
export async function missingIndexes(q: Queryable, tables: Tables, specs: IndexSpec[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of specs) if (!(await indexExists(q, s.table(tables), s.name))) out.push(`${s.table(tables)}.${s.name}`);
  return out;
}

/** Drops each index that exists; resolves to what it did. */
export async function dropIndexes(q: Queryable, tables: Tables, specs: IndexSpec[]): Promise<string[]> {
  const done: string[] = [];
  for (const s of [...specs].reverse()) {
    const table = s.table(tables);
    if (!(await indexExists(q, table, s.name))) continue;
    await q.query(`ALTER TABLE \`${table}\` DROP INDEX \`${s.name}\``);
    done.push(`dropped ${table}.${s.name}`);
  }
  return done;
}
