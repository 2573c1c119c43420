import { expect } from 'chai';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { sample } from '../helpers/monitoring.ts';
import { startSidecar } from '../helpers/sidecar.ts';

const TOKEN = 'metrics-token-backup-age';

describe('backup age in /metrics across a restart', () => {
  let db: TestDb;
  before(async () => {
    db = await createTestDb({ size: 'tiny' });
  });
  after(async () => {
    await db?.drop();
  });

  it('a node started after a backup reports that backup as the last success (the backup-age rule does not fire)', async () => {
    const first = await startSidecar(db, { env: { SLBP_METRICS_TOKEN: TOKEN } });
    let completedAt: number;
    try {
      const { finished } = await first.container.backup.backups.start({ type: 'full', components: ['config'] });
      const info = await finished;
      expect(info.status).to.equal('completed');
      completedAt = Date.parse(info.completed_at ?? info.created_at) / 1000;
    } finally {
      await first.stop();
    }
    // A fresh process on the same backup store has run no backup itself.
    const second = await startSidecar(db, { env: { SLBP_METRICS_TOKEN: TOKEN } });
    try {
      const res = await call(`${second.base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status).to.equal(200);
      const last = sample(res.text, 'slbp_backup_last_success_timestamp_seconds');
      expect(last).to.be.a('number');
      expect(Math.abs(last! - completedAt)).to.be.below(2);
    } finally {
      await second.stop();
    }
  });
});
