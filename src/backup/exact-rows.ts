import { Readable } from 'node:stream';
import type { DedicatedConnection, Queryable } from '../data/database.ts';

/** A column as the exact rows name it. */
interface Column {
  name: string;
  type: string;
}

/** A table whose rows the sidecar writes itself, and the columns its INSERTs name. */
export interface ExactTable {
  name: string;
  columns: Column[];
}

/** Written bare: integers, DECIMAL, DOUBLE (the server's text round-trips), FLOAT (read as DOUBLE), YEAR. */
const NUMERIC = /^(tinyint|smallint|mediumint|int|bigint|decimal|float|double|year)$/;
/** Written as 0x… like mysqldump --hex-blob: binary strings, bits and geometry. */
const BYTES =
  /^(binary|varbinary|tinyblob|blob|mediumblob|longblob|bit|geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/;
/** One INSERT holds rows up to about this many bytes (mysqldump's default net_buffer_length is 1 MB). */
const STATEMENT_BYTES = 1 << 20;

const quoted = (name: string): string => `\`${name.replaceAll('`', '``')}\``;

/**
 * The tables among `tables` that have a FLOAT column: mysqldump prints FLOAT with 6 significant
 * digits (the server's text form), which a restore cannot turn back into the stored value, so
 * their rows are written by exactRows() instead. Tables with triggers are left to mysqldump,
 * which dumps the data before the triggers; appended rows would fire them on restore.
 */
export async function exactRowTables(q: Queryable, database: string, tables: string[]): Promise<ExactTable[]> {
  if (!tables.length) return [];
  const rows = await q.query<{ t: string; name: string; type: string }[]>(
    `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS name, c.DATA_TYPE AS type
       FROM information_schema.COLUMNS c
      WHERE c.TABLE_SCHEMA = ? AND c.IS_GENERATED = 'NEVER'
        AND c.TABLE_NAME IN (SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND DATA_TYPE = 'float')
        AND c.TABLE_NAME NOT IN (SELECT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ?)
      ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    [database, database, database],
  );
  const wanted = new Set(tables);
  const out = new Map<string, ExactTable>();
  for (const r of rows) {
    if (!wanted.has(r.t)) continue;
    let t = out.get(r.t);
    if (!t) out.set(r.t, (t = { name: r.t, columns: [] }));
    t.columns.push({ name: r.name, type: r.type.toLowerCase() });
  }
  return [...out.values()];
}

const SPECIAL: Record<number, string> = { 0x00: '\\0', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\', 0x27: "\\'", 0x22: '\\"', 0x1a: '\\Z' };

/**
 * A string literal of these bytes (the connection's utf8mb4), escaped byte by byte as
 * mysql_real_escape_string does: no byte of a multi-byte UTF-8 character is below 0x80.
 */
function stringLiteral(b: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from("'")];
  let from = 0;
  for (let i = 0; i < b.length; i++) {
    const esc = SPECIAL[b[i]!];
    if (esc === undefined) continue;
    parts.push(b.subarray(from, i), Buffer.from(esc));
    from = i + 1;
  }
  parts.push(b.subarray(from), Buffer.from("'"));
  return Buffer.concat(parts);
}

function literal(value: Buffer | null, type: string): Buffer {
  if (value === null) return Buffer.from('NULL');
  if (NUMERIC.test(type)) return value;
  if (BYTES.test(type)) return Buffer.from(value.length ? `0x${value.toString('hex')}` : "''");
  return stringLiteral(value);
}

/** The SELECT of one table's rows: FLOAT columns as DOUBLE, which prints the stored value exactly (17 digits). */
function selectOf(database: string, t: ExactTable): string {
  const cols = t.columns.map((c) => (c.type === 'float' ? `CAST(${quoted(c.name)} AS DOUBLE)` : quoted(c.name)));
  return `SELECT ${cols.join(', ')} FROM ${quoted(database)}.${quoted(t.name)}`;
}

async function* generate(conn: DedicatedConnection, database: string, tables: ExactTable[]): AsyncGenerator<Buffer> {
  yield Buffer.from(
    [
      '',
      '--',
      '-- Rows of the tables with FLOAT columns, written by the sidecar from the dump snapshot:',
      '-- mysqldump prints FLOAT with 6 significant digits; these are the stored values.',
      '--',
      '',
      '/*!40101 SET NAMES utf8mb4 */;',
      "SET time_zone = '+00:00';",
      "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';",
      'SET foreign_key_checks = 0;',
      'SET unique_checks = 0;',
      '',
    ].join('\n'),
  );
  for (const t of tables) {
    const head = Buffer.from(`INSERT INTO ${quoted(t.name)} (${t.columns.map((c) => quoted(c.name)).join(', ')}) VALUES `);
    yield Buffer.from(`\n-- Rows of table ${quoted(t.name)}\n`);
    let batch: Buffer[] = [];
    let bytes = 0;
    for await (const row of conn.streamRaw(selectOf(database, t)) as AsyncIterable<(Buffer | null)[]>) {
      const parts: Buffer[] = [Buffer.from(batch.length ? ',(' : '(')];
      row.forEach((v, i) => {
        if (i) parts.push(Buffer.from(','));
        parts.push(literal(v, t.columns[i]!.type));
      });
      parts.push(Buffer.from(')'));
      const tuple = Buffer.concat(parts);
      batch.push(tuple);
      bytes += tuple.length;
      if (bytes >= STATEMENT_BYTES) {
        yield Buffer.concat([head, ...batch, Buffer.from(';\n')]);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length) yield Buffer.concat([head, ...batch, Buffer.from(';\n')]);
  }
  yield Buffer.from('\nSET foreign_key_checks = 1;\nSET unique_checks = 1;\n');
}

/**
 * INSERT statements for every row of `tables`, read on `conn` (a connection inside a consistent
 * snapshot, the dump's when the backup could make them equal: docs/decisions/0031-…), appended to
 * the dump after mysqldump's own output (it dumped these tables without data).
 */
export function exactRows(conn: DedicatedConnection, database: string, tables: ExactTable[]): Readable {
  return Readable.from(generate(conn, database, tables), { objectMode: false });
}
