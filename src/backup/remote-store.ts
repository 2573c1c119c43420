import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/schema.ts';
import { isBackupId, type Manifest } from './backup-store.ts';

export interface RemoteSettings {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * SLBP_BACKUP_S3_* settings, overridden by `remote_storage.credentials` from the plugin's option.
 * Copies go under `<prefix><site key>/`: sites sharing a bucket and prefix never list (or expire)
 * each other's copies.
 */
export function remoteSettings(env: Config['backup']['s3'], creds: Record<string, string> | never[], siteKey: string): RemoteSettings {
  const c = Array.isArray(creds) ? {} : creds;
  return {
    endpoint: c.endpoint ?? env.endpoint,
    region: c.region ?? env.region,
    bucket: c.bucket ?? env.bucket,
    prefix: `${c.prefix ?? env.prefix}${siteKey}/`,
    accessKeyId: c.access_key_id ?? env.accessKeyId,
    secretAccessKey: c.secret_access_key ?? env.secretAccessKey,
  };
}

type S3Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<S3Sdk> | null = null;

/**
 * The S3 SDK, loaded the first time a remote copy is made or listed: it is the largest module the
 * sidecar uses (about 25 MB resident), and most sites keep their backups local.
 */
function loadSdk(): Promise<S3Sdk> {
  return (sdk ??= import('@aws-sdk/client-s3'));
}

/** Copies of backups in an S3-compatible bucket: `<prefix><site key>/<backup id>/<file>`, manifest last. */
export class RemoteStore {
  private client: Promise<{ sdk: S3Sdk; s3: S3Client }> | null = null;

  constructor(private readonly s: RemoteSettings) {
    if (!s.bucket) throw new Error('remote storage is enabled but no bucket is configured (SLBP_BACKUP_S3_BUCKET)');
  }

  private connect(): Promise<{ sdk: S3Sdk; s3: S3Client }> {
    const s = this.s;
    return (this.client ??= loadSdk().then((sdk) => ({
      sdk,
      s3: new sdk.S3Client({
        region: s.region,
        ...(s.endpoint ? { endpoint: s.endpoint, forcePathStyle: true } : {}),
        ...(s.accessKeyId ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
        // The SDK's default aws-chunked checksums are stored verbatim by some S3-compatible
        // servers (a silently corrupted object); send plain bodies unless a checksum is required.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    })));
  }

  /** `bucket` at `endpoint` (no credentials), for messages. */
  describe(): string {
    return `${this.s.bucket}${this.s.endpoint ? ` at ${this.s.endpoint}` : ` (AWS ${this.s.region})`}`;
  }

  /** Asks for the bucket (HeadBucket): resolves when it exists and the credentials may use it. */
  async probe(): Promise<void> {
    const {
      sdk: { HeadBucketCommand },
      s3,
    } = await this.connect();
    await s3.send(new HeadBucketCommand({ Bucket: this.s.bucket }));
  }

  private key(id: string, name: string): string {
    return `${this.s.prefix}${id}/${name}`;
  }

  /** Uploads every file of a completed backup, then its manifest (so a listed copy is whole). */
  async upload(dir: string, manifest: Manifest): Promise<void> {
    const {
      sdk: { PutObjectCommand },
      s3,
    } = await this.connect();
    for (const f of Object.values(manifest.files)) {
      const file = path.join(dir, f!.name);
      const { size } = await stat(file);
      await s3.send(
        new PutObjectCommand({
          Bucket: this.s.bucket,
          Key: this.key(manifest.id, f!.name),
          Body: createReadStream(file),
          ContentLength: size,
        }),
      );
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: this.s.bucket,
        Key: this.key(manifest.id, 'manifest.json'),
        Body: JSON.stringify(manifest, null, 2),
        ContentType: 'application/json',
      }),
    );
  }

  private async keys(prefix: string): Promise<string[]> {
    const {
      sdk: { ListObjectsV2Command },
      s3,
    } = await this.connect();
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** Ids of the backups held remotely. */
  async listIds(): Promise<string[]> {
    const ids = new Set<string>();
    for (const k of await this.keys(this.s.prefix)) {
      const id = k.slice(this.s.prefix.length).split('/')[0];
      if (isBackupId(id)) ids.add(id);
    }
    return [...ids];
  }

  async remove(id: string): Promise<void> {
    if (!isBackupId(id)) throw new Error('invalid backup id');
    const keys = await this.keys(`${this.s.prefix}${id}/`);
    const {
      sdk: { DeleteObjectCommand },
      s3,
    } = await this.connect();
    for (const k of keys) await s3.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: k }));
  }

  close(): void {
    this.client?.then(
      ({ s3 }) => s3.destroy(),
      () => undefined,
    );
  }
}

/** Creation time encoded in a backup id (UTC), for retention of copies that have no local twin. */
export function createdAtOf(id: string): number {
  const m = /^backup_(\d{4}-\d{2}-\d{2})_(\d{2})-(\d{2})-(\d{2})_/.exec(id);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : NaN;
}
