import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall, tableFingerprint, waitFor } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('backups: remote copies, retention, encryption, files, notifications', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let s3dir: string;
  let uploads: string;
  let s3: any;
  let client: S3Client;
  let hook: http.Server;
  const events: any[] = [];
  const key = randomBytes(32).toString('hex');

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    s3dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-s3-'));
    uploads = await mkdtemp(path.join(os.tmpdir(), 'slbp-uploads-'));
    await mkdir(path.join(uploads, '2026', '11'), { recursive: true });
    await writeFile(path.join(uploads, '2026', '11', 'course.pdf'), randomBytes(200_000));
    const port = await freePort();
    s3 = new S3rver({ address: '127.0.0.1', port, silent: true, directory: s3dir, configureBuckets: [{ name: 'backups' }] });
    await s3.run();
    client = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        events.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    sc = await startSidecar(db, {
      env: {
        SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET,
        SLBP_BACKUP_ENCRYPTION_KEY: key,
        // The backup directory inside uploads must not end up in the files archive.
        SLBP_UPLOADS_DIR: uploads,
        SLBP_BACKUP_DIR: path.join(uploads, 'private-backups'),
        SLBP_BACKUP_S3_ENDPOINT: `http://127.0.0.1:${port}`,
        SLBP_BACKUP_S3_BUCKET: 'backups',
        SLBP_BACKUP_S3_ACCESS_KEY_ID: 'S3RVER',
        SLBP_BACKUP_S3_SECRET_ACCESS_KEY: 'S3RVER',
      },
    });
    const saved = await adminCall(sc.url, 'POST', '/backup/config', {
      remote_storage: { enabled: true, type: 's3', credentials: { prefix: 'site-a/' } },
      notifications: {
        email_on_completion: false,
        email_on_failure: true,
        webhook_url: `http://127.0.0.1:${(hook.address() as any).port}/hook`,
      },
    });
    expect(saved.status, saved.text).to.equal(200);
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
    client?.destroy();
    await s3?.close();
    hook?.close();
    await rm(s3dir, { recursive: true, force: true });
    await rm(uploads, { recursive: true, force: true });
  });

  // Remote copies live under the configured prefix and the site key (docs/decisions/0024-site-identity.md).
  const remotePrefix = () => `site-a/${sc.container.site.key}/`;
  const remoteIds = async () => {
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'backups', Prefix: remotePrefix() }));
    return [...new Set((page.Contents ?? []).map((o) => o.Key!.split('/')[2]))].sort();
  };
  const allKeys = async () =>
    ((await client.send(new ListObjectsV2Command({ Bucket: 'backups' }))).Contents ?? []).map((o) => o.Key!).sort();
  const sha256Of = async (k: string) => {
    const obj = await client.send(new GetObjectCommand({ Bucket: 'backups', Key: k }));
    return createHash('sha256')
      .update(Buffer.from(await obj.Body!.transformToByteArray()))
      .digest('hex');
  };

  it('encrypts archives, copies them to S3 byte for byte, and restores files and database', async () => {
    const res = await adminCall(sc.url, 'POST', '/backup/create', { components: ['database', 'files', 'config'] });
    expect(res.status, res.text).to.equal(200);
    const id = res.body.backup_id;
    const m = (await adminCall(sc.url, 'GET', `/backup/${id}`)).body.backup_info.manifest;
    expect(m.files.database).to.include({ name: 'database.sql.gz.enc', encrypted: true });
    const raw = await readFile(path.join(sc.container.backup.store.root, id, m.files.database.name));
    expect(raw.subarray(0, 8).toString()).to.equal('SLBPENC1');
    for (const f of Object.values<any>(m.files)) expect(await sha256Of(`${remotePrefix()}${id}/${f.name}`)).to.equal(f.sha256);
    expect(await remoteIds()).to.include(id);
    // The files archive holds the uploads but not the backups kept inside them.
    expect(m.files.files.bytes).to.be.within(150_000, 400_000);

    const pdf = path.join(uploads, '2026', '11', 'course.pdf');
    const original = await readFile(pdf);
    await rm(pdf);
    const before = await tableFingerprint(db.pool, db.name);
    await db.pool.query(`DELETE FROM ${db.prefix}slbp_subscriptions`);
    const restored = await adminCall(sc.url, 'POST', `/backup/restore/${id}`, { components: ['database', 'files'] });
    expect(restored.status, restored.text).to.equal(200);
    expect((await readFile(pdf)).equals(original)).to.equal(true);
    expect(await tableFingerprint(db.pool, db.name)).to.deep.equal(before);
  });

  it("retention removes expired backups here and in the bucket, by count and by age, and never another site's copies", async () => {
    // Another site sharing the bucket and prefix, and a copy made before copies were kept per site.
    const foreign = [
      'site-a/0123456789ab/backup_2020-01-01_00-00-00_OTHERSIT/manifest.json',
      'site-a/backup_2020-01-01_00-00-00_LEGACY00/manifest.json',
    ];
    for (const Key of foreign) await client.send(new PutObjectCommand({ Bucket: 'backups', Key, Body: '{}' }));
    await adminCall(sc.url, 'POST', '/backup/config', { retention_count: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await adminCall(sc.url, 'POST', '/backup/create', { components: ['config'] });
      expect(r.status, r.text).to.equal(200);
      ids.push(r.body.backup_id);
    }
    const local = (await adminCall(sc.url, 'GET', '/backup/list?status=completed')).body.backups.map((b: any) => b.id);
    expect(local).to.deep.equal([ids[2], ids[1]]);
    expect(await remoteIds()).to.deep.equal([ids[1], ids[2]].sort());
    // Forty days later, with retention_days = 30, only the newest one is kept.
    const removed = await sc.container.backup.maintenance.applyRetention(Date.now() + 40 * 86_400_000);
    expect(removed.local_removed).to.include(ids[1]);
    expect(removed.remote_removed).to.deep.equal([ids[1]]);
    expect(existsSync(path.join(sc.container.backup.store.root, ids[1]!))).to.equal(false);
    expect(await remoteIds()).to.deep.equal([ids[2]]);
    const del = await adminCall(sc.url, 'DELETE', `/backup/delete/${ids[2]}`);
    expect(del.body.remote_deleted).to.equal(true);
    expect(await remoteIds()).to.deep.equal([]);
    for (const k of foreign) expect(await allKeys()).to.include(k);
  });

  it('posts a failure to the configured webhook', async () => {
    const cfg = sc.container.config.backup as { uploadsDir: string };
    cfg.uploadsDir = path.join(uploads, 'missing');
    const res = await adminCall(sc.url, 'POST', '/backup/create', { components: ['files'] }).finally(() => {
      cfg.uploadsDir = uploads;
    });
    expect(res.body.backup_info.status).to.equal('failed');
    const ev = await waitFor(async () => events.find((e) => e.event === 'backup.failed'), 5000, 'webhook');
    expect(ev.backup.id).to.equal(res.body.backup_id);
    expect(ev.backup.error).to.be.a('string');
  });
});
