import type { Queryable } from './database.ts';

const NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Quotes a database or table name after checking it (identifiers cannot be bound as parameters). */
function ident(name: string): string {
  if (!NAME.test(name)) throw new Error(`unsafe identifier "${name}"`);
  return `\`${name}\``;
}

/** A table's row count and an order-independent digest of its rows as a dump carries them. */
export interface TableDigest {
  rows: number;
  digest: string;
}

/** Column types compared by their bytes (HEX): strings in their own charset, binary, bits, geometry. */
const BYTE_TYPES =
  /^(char|varchar|tinytext|text|mediumtext|longtext|enum|set|json|binary|varbinary|tinyblob|blob|mediumblob|longblob|bit|geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/;

/** Any catalogue name, quoted (these come from information_schema, not from callers). */
const quoted = (name: string): string => `\`${name.replaceAll('`', '``')}\``;

/**
 * How one column enters the row digest. Numbers, dates and times as the server writes them in
 * text (DOUBLE's text round-trips). FLOAT's text has 6 significant digits: with `exactFloat`
 * (tables whose rows the backup wrote itself, exactly: docs/decisions/0031-…) it enters as
 * DOUBLE, the stored value; otherwise at the 6 digits mysqldump carries (backups made before
 * #24, and tables with triggers that mysqldump still dumps).
 */
function columnDigest(name: string, dataType: string, exactFloat: boolean): string {
  const col = quoted(name);
  const value = BYTE_TYPES.test(dataType) ? `HEX(${col})` : exactFloat && dataType === 'float' ? `CAST(${col} AS DOUBLE)` : col;
  return `IF(${col} IS NULL, 'N', CONCAT('v', ${value}))`;
}

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

  /**
   * Row count and digest of one table: per row an MD5 over every column (NULL and empty apart),
   * summed and XORed over the rows, so row order does not matter and duplicate rows still count.
   * A plain SELECT: inside a transaction it reads that transaction's snapshot.
   */
  async digest(q: Queryable, database: string, table: string, opts: { exactFloat?: boolean } = {}): Promise<TableDigest> {
    const cols = await q.query<{ name: string; type: string }[]>(
      'SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [database, table],
    );
    if (!cols.length) throw new Error(`table ${database}.${table} has no columns (missing?)`);
    const row = `MD5(CONCAT_WS(0x1f, ${cols.map((c) => columnDigest(c.name, c.type, opts.exactFloat ?? false)).join(', ')}))`;
    const [r] = await q.query<{ n: number; s: string | number | null; x: string | number | null }[]>(
      `SELECT COUNT(*) AS n, SUM(CAST(CONV(RIGHT(${row}, 12), 16, 10) AS UNSIGNED)) AS s, BIT_XOR(CAST(CONV(LEFT(${row}, 16), 16, 10) AS UNSIGNED)) AS x FROM ${quoted(database)}.${quoted(table)}`,
    );
    const rows = Number(r?.n ?? 0);
    return { rows, digest: `${rows}:${String(r?.s ?? 0)}:${String(r?.x ?? 0)}` };
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
