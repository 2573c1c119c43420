import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/** Encrypted archive layout: MAGIC, 12-byte IV, AES-256-GCM ciphertext, 16-byte tag. */
const MAGIC = Buffer.from('SLBPENC1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface ArchiveOptions {
  gzip: boolean;
  key: Buffer | null;
}
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/** The backup key from its configured form (64 hex digits or base64), or null. */
export function parseKey(raw: string): Buffer | null {
  if (!raw) return null;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error('backup encryption key must be 32 bytes');
  return key;
}

/** Encrypts a stream into the MAGIC | IV | ciphertext | tag layout. */
function encryptor(key: Buffer): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  let headerSent = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (!headerSent) {
        this.push(Buffer.concat([MAGIC, iv]));
        headerSent = true;
      }
      cb(null, cipher.update(chunk));
    },
    flush(cb: TransformCallback) {
      if (!headerSent) this.push(Buffer.concat([MAGIC, iv]));
      this.push(cipher.final());
      cb(null, cipher.getAuthTag());
    },
  });
}

/** Counts and hashes what passes through, so the sha256 describes the bytes on disk. */
function meter(onBytes?: (n: number) => void): { stream: Transform; result: () => WrittenFile } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      cb(null, chunk);
    },
  });
  let digest: string | null = null;
  return { stream, result: () => ({ bytes, sha256: (digest ??= hash.digest('hex')) }) };
}

/**
 * Streams `source` → gzip? → AES-256-GCM? → sha256 → file (mode 0600). Memory stays at a few
 * stream buffers whatever the size; the file is the only place the data lands.
 */
export async function writeArchive(
  source: Readable,
  file: string,
  opts: ArchiveOptions,
  onBytes?: (n: number) => void,
): Promise<WrittenFile> {
  const m = meter(onBytes);
  const stages: NodeJS.ReadWriteStream[] = [];
  if (opts.gzip) stages.push(createGzip({ level: 6 }));
  if (opts.key) stages.push(encryptor(opts.key));
  await pipeline([source, ...stages, m.stream, createWriteStream(file, { mode: 0o600, flags: 'wx' })] as NodeJS.ReadWriteStream[]);
  return m.result();
}

/** sha256 and size of a file on disk, streamed; `onBytes` hears the bytes hashed so far. */
export async function hashFile(file: string, onBytes?: (n: number) => void): Promise<WrittenFile> {
  const m = meter(onBytes);
  await pipeline(createReadStream(file), m.stream, new PassThrough().resume());
  return m.result();
}

/**
 * The plaintext of an archive written by writeArchive (GCM tag checked at the end of the stream).
 * `onBytes` hears how many bytes of the file have been read so far.
 */
export async function openArchive(file: string, opts: ArchiveOptions, onBytes?: (n: number) => void): Promise<Readable> {
  let read = 0;
  const counted = (s: Readable): Readable => (onBytes ? s.on('data', (chunk: Buffer) => onBytes((read += chunk.length))) : s);
  let input: Readable;
  if (opts.key) {
    const { size } = await stat(file);
    if (size < MAGIC.length + IV_BYTES + TAG_BYTES) throw new Error('encrypted archive is truncated');
    const fh = await open(file, 'r');
    const head = Buffer.alloc(MAGIC.length + IV_BYTES);
    const tag = Buffer.alloc(TAG_BYTES);
    try {
      await fh.read(head, 0, head.length, 0);
      await fh.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
    } finally {
      await fh.close();
    }
    if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('archive is not encrypted with the sidecar format');
    const decipher = createDecipheriv('aes-256-gcm', opts.key, head.subarray(MAGIC.length));
    decipher.setAuthTag(tag);
    const end = size - TAG_BYTES - 1;
    input = end >= head.length ? counted(createReadStream(file, { start: head.length, end })).pipe(decipher) : (decipher.end(), decipher);
  } else input = counted(createReadStream(file));
  if (!opts.gzip) return input;
  const gunzip = createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  return input.pipe(gunzip);
}
