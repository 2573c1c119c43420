import { expect } from 'chai';
import { assessReplica } from '../../src/data/replica-monitor.ts';

const row = (over: Record<string, unknown> = {}) => ({
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'Yes',
  Seconds_Behind_Master: 0,
  Last_IO_Error: '',
  Last_SQL_Error: '',
  ...over,
});

describe('assessReplica (SHOW SLAVE STATUS → may this reader serve reads?)', () => {
  it('uses a replica that replicates within the lag threshold, up to and including it', () => {
    expect(assessReplica([row()], 5)).to.include({ usable: true, lagSeconds: 0 });
    expect(assessReplica([row({ Seconds_Behind_Master: 5 })], 5)).to.include({ usable: true, lagSeconds: 5 });
  });

  it('skips a replica further behind than the threshold and says by how much', () => {
    const r = assessReplica([row({ Seconds_Behind_Master: 6 })], 5);
    expect(r).to.include({ usable: false, lagSeconds: 6 });
    expect(r.reason).to.equal('lag 6 s exceeds 5 s');
  });

  it('skips a replica whose IO or SQL thread stopped, with the replication error', () => {
    const sql = assessReplica(
      [row({ Slave_SQL_Running: 'No', Seconds_Behind_Master: null, Last_SQL_Error: "Duplicate entry '1' for key 'PRIMARY'" })],
      5,
    );
    expect(sql).to.include({ usable: false, lagSeconds: null, sqlRunning: false, ioRunning: true });
    expect(sql.reason).to.match(/SQL stopped.*Duplicate entry/);
    expect(assessReplica([row({ Slave_IO_Running: 'Connecting', Seconds_Behind_Master: null })], 5)).to.include({
      usable: false,
      ioRunning: false,
    });
  });

  it('skips a running replica whose lag is unknown', () => {
    expect(assessReplica([row({ Seconds_Behind_Master: null })], 5)).to.include({ usable: false, reason: 'lag unknown' });
  });

  it('uses a server with no replication configured as an up-to-date copy', () => {
    expect(assessReplica([], 5)).to.include({ usable: true, lagSeconds: 0 });
  });
});
