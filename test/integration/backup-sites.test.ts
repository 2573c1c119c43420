import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../src/config/load.ts';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall, tableFingerprint } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { expectRestError } from '../helpers/http.ts';
import { capturingLogger } from '../helpers/log.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

const env = { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET };

describe('backups per site', function () {
  this.timeout(120_000);
  let a: TestDb;
  let b: TestDb;

  before(async () => {
    [a, b] = await Promise.all([createTestDb({ size: 'tiny' }), createTestDb({ size: 'tiny' })]);
  });
  after(async () => {
    await a?.drop();
    await b?.drop();
  });

  const create = async (sc: InProcessSidecar, components = ['database', 'config']) => {
    const res = await adminCall(sc.url, 'POST', '/backup/create', { components });
    expect(res.status, res.text).to.equal(200);
    return res.body.backup_id as string;
  };
  const listed = async (sc: InProcessSidecar) =>
    (await adminCall(sc.url, 'GET', '/backup/list')).body.backups.map((x: { id: string }) => x.id);

  describe('two sites with one data directory (default backup directory)', () => {
    const dataDir = path.join('var', 'test', `${process.pid}-shared-data-${Date.now()}`);
    let sa: InProcessSidecar;
    let sb: InProcessSidecar;
    const logB = capturingLogger();

    before(async () => {
      sa = await startSidecar(a, { env: { ...env, SLBP_DATA_DIR: dataDir } });
      sb = await startSidecar(b, { env: { ...env, SLBP_DATA_DIR: dataDir }, logger: logB.logger });
    });
    after(async () => {
      await sa?.stop();
      await sb?.stop();
      await rm(path.join(projectRoot, dataDir), { recursive: true, force: true });
    });

    it('each site writes into a directory of its own and lists, shows and deletes only its backups', async () => {
      const [idA, idB] = [await create(sa), await create(sb)];
      const root = path.join(projectRoot, dataDir, 'backups');
      expect(sa.container.backup.store.root).to.equal(path.join(root, sa.container.site.key));
      expect(existsSync(path.join(root, sa.container.site.key, idA))).to.equal(true);
      expect(existsSync(path.join(root, sb.container.site.key, idB))).to.equal(true);
      expect(JSON.parse(await readFile(path.join(root, sa.container.site.key, 'site.json'), 'utf8'))).to.deep.equal({
        site_key: sa.container.site.key,
        database: a.name,
        table_prefix: 'wp_',
      });
      expect(await listed(sa)).to.deep.equal([idA]);
      expect(await listed(sb)).to.deep.equal([idB]);
      expectRestError(await adminCall(sb.url, 'GET', `/backup/${idA}`), 'slbp_backup_not_found', 404);
      // Not this site's: not found, answered the plugin's way.
      expect((await adminCall(sb.url, 'DELETE', `/backup/delete/${idA}`)).body).to.include({ success: false, message: 'Backup not found' });
      expect(existsSync(path.join(root, sa.container.site.key, idA))).to.equal(true);
      // The manifest names its source.
      const m = (await adminCall(sa.url, 'GET', `/backup/${idA}`)).body.backup_info.manifest;
      expect(m.source).to.include({ site_key: sa.container.site.key, database: a.name, table_prefix: 'wp_' });
      expect(m.source.server).to.match(/^.+:\d+$/);
    });

    it("the first start under a site key points at the other sites' backup directories (a renamed database would be one)", () => {
      const said = logB.entries.find((e) => e.message.startsWith('first start for this site'));
      expect(said?.directory).to.equal(sb.container.backup.store.root);
      expect(said?.other_sites).to.deep.equal([
        { dir: sa.container.backup.store.root, site: { site_key: sa.container.site.key, database: a.name, table_prefix: 'wp_' } },
      ]);
    });

    it("refuses to restore (or verify) another site's backup copied into its directory, naming both sites; nothing changes", async () => {
      const idA = await create(sa, ['database']);
      await cp(sa.container.backup.store.dirOf(idA), sb.container.backup.store.dirOf(idA), { recursive: true });
      const before = await tableFingerprint(b.pool, b.name);
      const res = await adminCall(sb.url, 'POST', `/backup/restore/${idA}`, {});
      expectRestError(res, 'slbp_backup_other_site', 409);
      expect(res.body.message)
        .to.include(`database "${a.name}"`)
        .and.include(`database "${b.name}"`)
        .and.include(sa.container.site.key)
        .and.include(sb.container.site.key);
      expect(res.body.data.backup_source).to.include({ database: a.name, site_key: sa.container.site.key });
      expect(res.body.data.this_site).to.include({ database: b.name, site_key: sb.container.site.key });
      expect(await tableFingerprint(b.pool, b.name)).to.deep.equal(before);
      expect(await listed(sb)).to.not.include(idA);
      await sb.container.backup.restore.verify(idA).then(
        () => expect.fail('verify should refuse'),
        (err) => expect(err.code).to.equal('slbp_backup_other_site'),
      );
      // Explicitly allowed (the command line's --allow-other-site), the same backup verifies.
      expect((await sb.container.backup.restore.verify(idA, undefined, { allowOtherSite: true })).ok).to.equal(true);
    });
  });

  describe("an operator's SLBP_BACKUP_DIR shared by two sites", () => {
    const shared = path.join(projectRoot, 'var', 'test', `${process.pid}-shared-backups-${Date.now()}`);
    let sa: InProcessSidecar;
    let sb: InProcessSidecar;

    before(async () => {
      sa = await startSidecar(a, { env: { ...env, SLBP_BACKUP_DIR: shared } });
      sb = await startSidecar(b, { env: { ...env, SLBP_BACKUP_DIR: shared } });
    });
    after(async () => {
      await sa?.stop();
      await sb?.stop();
      await rm(shared, { recursive: true, force: true });
    });

    it("lists each site's own backups only, and retention on one site never removes the other's", async () => {
      const idB = await create(sb, ['config']);
      await adminCall(sa.url, 'POST', '/backup/config', { retention_count: 1 });
      try {
        const ids = [await create(sa, ['config']), await create(sa, ['config'])];
        expect(await listed(sa)).to.deep.equal([ids[1]]);
        expect(await listed(sb)).to.deep.equal([idB]);
        expect((await readdir(shared)).filter((n) => n.startsWith('backup_')).sort()).to.deep.equal([idB, ids[1]].sort());
        expectRestError(await adminCall(sa.url, 'POST', `/backup/restore/${idB}`, {}), 'slbp_backup_other_site', 409);
      } finally {
        await adminCall(sa.url, 'POST', '/backup/config', { retention_count: 30 });
      }
    });
  });

  it("an upgrade moves this site's backups out of the shared directory into its own, and says what it leaves there", async () => {
    const dataDir = path.join('var', 'test', `${process.pid}-legacy-${Date.now()}`);
    const legacy = path.join(projectRoot, dataDir, 'backups');
    // What a sidecar before per-site directories wrote: manifests naming only the database.
    const old = async (id: string, database: string | null) => {
      await mkdir(path.join(legacy, id), { recursive: true });
      await writeFile(
        path.join(legacy, id, 'manifest.json'),
        JSON.stringify({
          format: 1,
          id,
          type: 'daily',
          components: ['config'],
          created_at: '2026-01-02T03:00:00.000Z',
          completed_at: '2026-01-02T03:00:01.000Z',
          status: 'completed',
          size: 0,
          files: {},
          skipped: {},
          database: database ? { name: database, scope: 'all', tables: [] } : null,
          tool_versions: {},
          fencing_token: 1,
          node: 'old',
          slot: null,
          timings_ms: {},
        }),
      );
    };
    await old('backup_2026-01-02_03-00-00_AAAAAAAA', a.name);
    await old('backup_2026-01-03_03-00-00_BBBBBBBB', b.name);
    await old('backup_2026-01-04_03-00-00_CCCCCCCC', null);
    const log = capturingLogger();
    const sa = await startSidecar(a, { env: { ...env, SLBP_DATA_DIR: dataDir }, logger: log.logger });
    try {
      expect(await listed(sa)).to.deep.equal(['backup_2026-01-02_03-00-00_AAAAAAAA']);
      expect(existsSync(path.join(legacy, sa.container.site.key, 'backup_2026-01-02_03-00-00_AAAAAAAA', 'manifest.json'))).to.equal(true);
      expect((await readdir(legacy)).filter((n) => n.startsWith('backup_')).sort()).to.deep.equal([
        'backup_2026-01-03_03-00-00_BBBBBBBB',
        'backup_2026-01-04_03-00-00_CCCCCCCC',
      ]);
      const moved = log.entries.find((e) => e.message.includes("moved this site's backups"));
      expect(moved?.backups).to.deep.equal(['backup_2026-01-02_03-00-00_AAAAAAAA']);
      const left = log.entries.find((e) => e.message.includes('left where they are'));
      expect(left).to.include({ level: 'warn', backups: 2, directory: legacy });
    } finally {
      await sa.stop();
      await rm(path.join(projectRoot, dataDir), { recursive: true, force: true });
    }
  });
});
