import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { billingIndexes } from './0001-billing-indexes.ts';
import type { Migration } from './migration.ts';

/** Every migration, in order. */
export const MIGRATIONS: Migration[] = [billingIndexes];

/** Applies every migration (each is idempotent, so no bookkeeping table is needed); `onStep` hears each step of `migrationSteps()`. */
export async function migrateUp(q: Queryable, tables: Tables, onStep?: () => void): Promise<string[]> {
  const out: string[] = [];
  for (const m of MIGRATIONS) out.push(...(await m.up(q, tables, onStep)));
  return out;
}

/** The steps `migrateUp` reports. */
export function migrationSteps(): number {
  return MIGRATIONS.reduce((n, m) => n + m.steps, 0);
}

/** What `migrateUp` would still do on this database: empty when every migration is applied. */
export async function pendingMigrations(q: Queryable, tables: Tables): Promise<string[]> {
  const out: string[] = [];
  for (const m of MIGRATIONS) out.push(...(await m.pending(q, tables)));
  return out;
}

/** Reverts migrations newest first, down to (and including) `toId`, or all of them. */
export async function migrateDown(q: Queryable, tables: Tables, toId?: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of [...MIGRATIONS].reverse()) {
    out.push(...(await m.down(q, tables)));
    if (m.id === toId) break;
  }
  return out;
}
