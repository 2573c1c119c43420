import { expect } from 'chai';
import { expired } from '../../src/backup/backup-maintenance.ts';
import { BackupStore, isBackupId, newBackupId } from '../../src/backup/backup-store.ts';
import { siteIdentity } from '../../src/config/site-identity.ts';
import {
  backupConfigSchema,
  DEFAULT_BACKUP_CONFIG,
  effectiveBackupConfig,
  redactSecrets,
  REDACTED,
  unredact,
} from '../../src/domain/backup-config.ts';

const DAY = 86_400_000;

describe('backup rules', () => {
  it('ids have one strict form; anything else never becomes a path', () => {
    const id = newBackupId(new Date('2026-11-26T11:02:17Z'));
    expect(id).to.match(/^backup_2026-11-26_11-02-17_[A-Za-z0-9]{8}$/);
    const store = new BackupStore('/srv/backups', siteIdentity('shop', 'wp_'));
    expect(store.dirOf(id)).to.equal(`/srv/backups/${id}`);
    for (const bad of ['../x', 'backup_1/../../etc', `${id}/../../etc`, `${id}\n`, '', 'backup_2026-11-26_11-02-17_AAAAAAA/']) {
      expect(isBackupId(bad), bad).to.equal(false);
      expect(() => store.dirOf(bad), bad).to.throw(/invalid backup id/);
    }
  });

  it('retention drops what is too old or beyond the count, but never the newest', () => {
    const now = Date.parse('2026-11-26T00:00:00Z');
    const items = [0, 1, 2, 40, 50].map((d, i) => ({ id: `b${i}`, at: now - d * DAY }));
    expect(expired(items, 30, 10, now).map((b) => b.id)).to.deep.equal(['b3', 'b4']);
    expect(expired(items, 30, 2, now).map((b) => b.id)).to.deep.equal(['b2', 'b3', 'b4']);
    expect(expired([{ id: 'old', at: now - 400 * DAY }], 30, 10, now)).to.deep.equal([]);
  });

  it('reads the plugin option leniently and validates a new one strictly', () => {
    expect(effectiveBackupConfig({})).to.deep.equal(DEFAULT_BACKUP_CONFIG);
    expect(effectiveBackupConfig({ schedule: 'weekly', retention_days: 'lots' })).to.include({ schedule: 'weekly', retention_days: 30 });
    expect(backupConfigSchema.safeParse({ ...DEFAULT_BACKUP_CONFIG, schedule: '*/5 * * * *' }).success).to.equal(true);
    expect(backupConfigSchema.safeParse({ ...DEFAULT_BACKUP_CONFIG, schedule: 'hourly-ish' }).success).to.equal(false);
    expect(backupConfigSchema.safeParse({ ...DEFAULT_BACKUP_CONFIG, daily_components: [] }).success).to.equal(false);
    expect(
      backupConfigSchema.safeParse({
        ...DEFAULT_BACKUP_CONFIG,
        notifications: { ...DEFAULT_BACKUP_CONFIG.notifications, webhook_url: 'ftp://x' },
      }).success,
    ).to.equal(false);
  });

  it('redacts secrets in exports and keeps the current ones when a redacted export is restored', () => {
    const live = { webhook_secret: 'whsec', lemon_squeezy_api_key: 'k', store: 7, nested: { password: 'p', name: 'n' } };
    const out = redactSecrets(live);
    expect(out).to.deep.equal({
      webhook_secret: REDACTED,
      lemon_squeezy_api_key: REDACTED,
      store: 7,
      nested: { password: REDACTED, name: 'n' },
    });
    expect(unredact({ ...out, store: 8 }, live)).to.deep.equal({ ...live, store: 8 });
  });
});
