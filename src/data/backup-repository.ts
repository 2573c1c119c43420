import type { Queryable } from './database.ts';

const NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Quotes a database or table name after checking it (identifiers cannot be bound as parameters). */
function ident(name: string): string {
  if (!NAME.test(name)) throw new Error(`unsafe identifier "${name}"`);
  return `\`${name}\``;
}

export interface TableCheck { table: string; rows: number; checksum: string | null }

/** Catalogue queries behind backups, restores and the DR drill. */
export class BackupRepository {
  /** Base tables of `database`, optionally only those starting with `prefix`. */
  async baseTables(q: Queryable, database: string, prefix?: string): Promise<string[]> {
    const rows = await q.query<{ name: string }[]>(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'${prefix ? ' AND TABLE_NAME LIKE ?' : ''} ORDER BY TABLE_NAME`,
      prefix ? [database, `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`] : [database],
    );
    return rows.map((r) => r.name);
  }

  /** Row count and CHECKSUM TABLE of one table (checksum null when the table is missing). */
  async check(q: Queryable, database: string, table: string): Promise<TableCheck> {
    const full = `${ident(database)}.${ident(table)}`;
    const sums = await q.query<{ Checksum: string | number | null }[]>(`CHECKSUM TABLE ${full}`);
    const checksum = sums[0]?.Checksum;
    if (checksum === null || checksum === undefined) return { table, rows: 0, checksum: null };
    const counted = await q.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${full}`);
    return { table, rows: Number(counted[0]?.n ?? 0), checksum: String(checksum) };
  }

  async databaseExists(q: Queryable, database: string): Promise<boolean> {
    const rows = await q.query<unknown[]>('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    return rows.length > 0;
  }

  /** Creates a new, empty database; fails if it already exists (we only drop what we made). */
  async createDatabase(q: Queryable, database: string): Promise<void> {
    await q.query(`CREATE DATABASE ${ident(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`);
  }

  async dropDatabase(q: Queryable, database: string): Promise<void> {
    await q.query(`DROP DATABASE IF EXISTS ${ident(database)}`);
  }
}
