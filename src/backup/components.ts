import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Component } from '../domain/backup-config.ts';
import { openArchive, writeArchive, type ArchiveOptions } from './archive-io.ts';
import type { ManifestFile } from './backup-store.ts';
import { exitOf, loadSql, startDump, type DbTarget } from './db-tools.ts';

/** Where a component's backup stands: bytes written, and when known the work done of a total. */
export interface ComponentProgress {
  component: Component;
  bytes: number;
  done?: number;
  total?: number;
  unit?: 'tables' | 'bytes';
}

export interface WriteContext {
  dir: string;
  archive: ArchiveOptions;
  onProgress?: (p: ComponentProgress) => void;
}

/** `database.sql.gz.enc` and friends: the name says how to read the file back. */
export function fileName(base: string, a: ArchiveOptions): string {
  return `${base}${a.gzip ? '.gz' : ''}${a.key ? '.enc' : ''}`;
}

async function write(
  ctx: WriteContext,
  component: Component,
  base: string,
  source: Readable,
  step?: () => Omit<ComponentProgress, 'component' | 'bytes'>,
): Promise<ManifestFile> {
  const name = fileName(base, ctx.archive);
  const out = await writeArchive(source, path.join(ctx.dir, name), ctx.archive, (n) =>
    ctx.onProgress?.({ component, bytes: n, ...step?.() }),
  );
  return { name, ...out, compressed: ctx.archive.gzip, encrypted: Boolean(ctx.archive.key) };
}

/**
 * mysqldump → gzip → (encrypt) → sha256 → file; an empty `dumpTables` means the whole database.
 * `tableCount` (the tables it will dump) makes progress report tables done of that total; `tap`
 * sees the dump on its way (the snapshot checksums watch it). `exact` names tables mysqldump dumps
 * without rows; `append` gives their rows, written after mysqldump's output once it has succeeded.
 */
export async function writeDatabase(
  ctx: WriteContext,
  target: DbTarget,
  database: string,
  dumpTables: string[],
  opts: { tableCount?: number; tap?: (dump: Readable) => Readable; exact?: string[]; append?: () => Readable } = {},
): Promise<ManifestFile> {
  let started = 0;
  const total = opts.tableCount ?? dumpTables.length;
  const onTable =
    ctx.onProgress && total
      ? () => {
          started = Math.min(started + 1, total);
        }
      : undefined;
  const dump = startDump(target, database, dumpTables, onTable, opts.exact);
  // Wait for both: a dump that dies half-way still ends its stdout cleanly.
  // The table being dumped counts as half done until the next one starts.
  const tapped = opts.tap ? opts.tap(dump.stdout) : dump.stdout;
  const append = opts.append;
  const stream = append
    ? Readable.from(
        (async function* () {
          yield* tapped;
          await dump.done;
          yield* append();
        })(),
        { objectMode: false },
      )
    : tapped;
  const [file] = await Promise.all([
    write(ctx, 'database', 'database.sql', stream, onTable && (() => ({ done: Math.max(0, started - 1), total, unit: 'tables' as const }))),
    dump.done,
  ]);
  return file;
}

/**
 * The uploads directory as a tar stream (GNU tar, compressed by us so the hash covers the
 * stored bytes), without the backup directory itself when it lives inside uploads.
 */
export async function writeFiles(ctx: WriteContext, uploadsDir: string, backupRoot: string): Promise<ManifestFile> {
  const st = await stat(uploadsDir);
  if (!st.isDirectory()) throw new Error(`uploads directory ${uploadsDir} is not a directory`);
  const args = ['-c', '-f', '-', '-C', uploadsDir];
  const rel = path.relative(path.resolve(uploadsDir), path.resolve(backupRoot));
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) args.push(`--exclude=./${rel}`);
  args.push('.');
  const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const [file] = await Promise.all([write(ctx, 'files', 'files.tar', child.stdout!), exitOf(child, 'tar')]);
  return file;
}

/** The `slbp_*` options and the sidecar's settings, secrets already removed by the caller. */
export async function writeConfig(ctx: WriteContext, snapshot: unknown): Promise<ManifestFile> {
  return write(ctx, 'config', 'config.json', Readable.from([Buffer.from(JSON.stringify(snapshot, null, 2))]));
}

function archiveOf(f: ManifestFile, key: Buffer | null): ArchiveOptions {
  if (f.encrypted && !key) throw new Error('this backup is encrypted and no SLBP_BACKUP_ENCRYPTION_KEY is configured');
  return { gzip: f.compressed, key: f.encrypted ? key : null };
}

/** Streams a database archive into `database` (its dump drops and recreates each table); `onBytes`: archive bytes read. */
export async function restoreDatabase(
  file: string,
  f: ManifestFile,
  key: Buffer | null,
  target: DbTarget,
  database: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  await loadSql(target, database, await openArchive(file, archiveOf(f, key), onBytes));
}

/** Extracts a files archive over the uploads directory (GNU tar refuses `..` and absolute names). */
export async function restoreFiles(
  file: string,
  f: ManifestFile,
  key: Buffer | null,
  uploadsDir: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  const input = await openArchive(file, archiveOf(f, key), onBytes);
  const child = spawn('tar', ['-x', '-f', '-', '-C', uploadsDir, '--no-same-owner', '--no-overwrite-dir'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const done = exitOf(child, 'tar extract');
  // tar stops reading at its end-of-archive blocks, so the rest of the stream may hit a closed
  // pipe: that EPIPE is harmless, tar's exit status decides (the sha256 was checked before).
  child.stdin!.on('error', () => undefined);
  let inputError: Error | null = null;
  input.once('error', (err) => {
    inputError = err;
    child.kill();
  });
  input.pipe(child.stdin!);
  try {
    await done;
  } finally {
    input.destroy();
  }
  if (inputError) throw inputError;
}

/** Reads a config archive back as JSON. */
export async function readConfig(file: string, f: ManifestFile, key: Buffer | null): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of await openArchive(file, archiveOf(f, key))) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
