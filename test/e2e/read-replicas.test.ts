import { expect } from 'chai';
import { createWordPressDatabase } from '../../scripts/lib/db-admin.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildContainer, type Container } from '../../src/container.ts';
import { DatabaseRouter } from '../../src/data/database-router.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { call } from '../helpers/http.ts';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { NS } from '../helpers/sidecar.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEALTH_TOKEN = 'replica-test-health-token';

/** Waits until `fn` returns true (polling), or fails naming what was awaited. */
async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await fn()) return Date.now() - t0;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

describe('read replicas: a private MariaDB primary and GTID replica', function () {
  this.timeout(90_000);
  let primary: MariaDbInstance;
  let replica: MariaDbInstance;
  let c: Container;
  let running: RunningServer;
  let base: string;
  const redisPrefix = testRedisPrefix();

  const serverId = async (q: { query<T>(sql: string): Promise<T> }) => (await q.query<{ id: number }[]>('SELECT @@server_id AS id'))[0]!.id;
  const replicasSection = async () => {
    const res = await call(`${base}/health/detailed`, { headers: { Authorization: `Bearer ${HEALTH_TOKEN}` } });
    expect(res.status, res.text).to.equal(200);
    return res.body.service_checks.replicas;
  };
  const caughtUp = async () => {
    const p = await primary.connect();
    const r = await replica.connect();
    try {
      const [[pos]] = await p.query<any>('SELECT @@gtid_binlog_pos AS pos');
      const [[w]] = await r.query<any>('SELECT MASTER_GTID_WAIT(?, 10) AS w', [pos.pos]);
      expect(w.w).to.equal(0);
    } finally {
      await p.end();
      await r.end();
    }
  };
  const onReplica = async (sql: string) => {
    const r = await replica.connect();
    try {
      await r.query(sql);
    } finally {
      await r.end();
    }
  };

  before(async () => {
    primary = await startMariaDb(['server-id=1', 'log-bin=mysql-bin', 'binlog_format=ROW', 'gtid_strict_mode=1']);
    replica = await startMariaDb(['server-id=2', 'gtid_strict_mode=1', 'read_only=1', 'relay-log=relay-bin']);
    const p = await primary.connect();
    try {
      await p.query("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pass'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'");
      // The sidecar's user: everything on the WordPress database, and only SLAVE MONITOR
      // globally (for SHOW SLAVE STATUS). Without SUPER, read_only=1 really protects the replica.
      await p.query(
        "CREATE USER 'slbp'@'127.0.0.1' IDENTIFIED BY 'slbp-pass'; GRANT ALL ON wordpress.* TO 'slbp'@'127.0.0.1'; GRANT SLAVE MONITOR ON *.* TO 'slbp'@'127.0.0.1'",
      );
    } finally {
      await p.end();
    }
    await onReplica(
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='repl', MASTER_PASSWORD='repl-pass', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE`,
    );
    await createWordPressDatabase({ host: '127.0.0.1', port: primary.port, user: 'root', password: '' }, 'wordpress', 'wp_');
    await caughtUp();
    const config = loadConfig({
      env: {
        SLBP_ENV: 'test',
        SLBP_PORT: '0',
        DB_HOST: `127.0.0.1:${primary.port}`,
        DB_HOST_READ: `127.0.0.1:${replica.port}`,
        DB_NAME: 'wordpress',
        DB_USER: 'slbp',
        DB_PASSWORD: 'slbp-pass',
        SLBP_REDIS_PREFIX: redisPrefix,
        SLBP_HEALTH_TOKEN: HEALTH_TOKEN,
        SLBP_READ_YOUR_WRITES_MS: '5000',
        SLBP_REPLICA_MAX_LAG_SEC: '2',
        SLBP_DATA_DIR: `var/test/${process.pid}-replicas`,
      },
    });
    c = buildContainer(config);
    running = await startServer(c);
    base = `${running.url}${NS}`;
  });
  after(async () => {
    await running?.shutdown('test done');
    await cleanRedisPrefix(redisPrefix);
    await replica?.destroy();
    await primary?.destroy();
  });

  it('sends reads to the replica and writes to the primary; the sidecar cannot write on the replica', async () => {
    // The schema was still replicating when the sidecar started; wait for the monitor to see it caught up.
    await eventually('replica in use', async () => (await replicasSection()).replicas[0].in_use === true);
    expect(await serverId(c.db.read)).to.equal(2);
    expect(await serverId(c.databases.forRead('user:1'))).to.equal(2);
    expect(await serverId(c.db.write)).to.equal(1);
    const section = await replicasSection();
    console.log(
      `      /health/detailed replicas: ${JSON.stringify(section.replicas.map((r: any) => ({ in_use: r.in_use, lag: r.lag_seconds })))}`,
    );
    expect(section.healthy).to.equal(true);
    expect(section.replicas).to.have.length(1);
    expect(section.replicas[0]).to.include({ in_use: true, lag_seconds: 0, io_running: true, sql_running: true });
    const lag = c.replicas.replicaLag();
    expect(lag.map((r) => [r.name, r.usable, r.lagSeconds])).to.deep.equal([['reader1', true, 0]]);
    let writeError: Error | null = null;
    try {
      await c.db.queryOn(c.db.readers[0]!, "INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('stray', 'x', 'no')");
    } catch (err) {
      writeError = err as Error;
    }
    expect(writeError?.message).to.match(/read-only|read_only/i);
  });

  it('a caller who just wrote reads their write while the replica is behind; others still read the replica', async () => {
    // Freeze the monitor's view (the replica still counts as healthy) and stop applying changes
    // on the replica: the moment between a write and the replica catching up, made long.
    c.replicas.stop();
    await onReplica('STOP SLAVE SQL_THREAD');
    try {
      await c.db.write.query("INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('slbp_ryw_probe', 'written', 'no')");
      await c.databases.noteWrite('user:1');
      const sql = "SELECT option_value FROM wp_options WHERE option_name = 'slbp_ryw_probe'";
      const writer = await c.databases.forRead('user:1').query<any[]>(sql);
      const other = await c.databases.forRead('user:2').query<any[]>(sql);
      // Another node of the pool sees the marker through Redis.
      const otherNode = new DatabaseRouter(c.db, c.redis, 5000);
      console.log(
        `      after user:1 wrote: user:1 reads ${writer.length} row(s), user:2 reads ${other.length} (stale replica), other node routes user:1 to the primary: ${await otherNode.wroteRecently('user:1')}`,
      );
      expect(writer).to.deep.equal([{ option_value: 'written' }]);
      expect(other).to.deep.equal([]);
      expect(await otherNode.wroteRecently('user:1')).to.equal(true);
      expect(await otherNode.wroteRecently('user:2')).to.equal(false);
      expect(await serverId(otherNode.forRead('user:1'))).to.equal(1);
    } finally {
      await c.replicas.start();
    }
    // Now the monitor sees the stopped SQL thread: the replica is skipped, reads use the primary.
    const skippedMs = await eventually('replica skipped', async () => (await replicasSection()).replicas[0].in_use === false);
    const section = await replicasSection();
    console.log(`      SQL thread stopped: skipped after ${skippedMs} ms (${section.replicas[0].reason})`);
    expect(section.healthy).to.equal(false);
    expect(section.replicas[0]).to.include({ sql_running: false });
    expect(await serverId(c.db.read)).to.equal(1);
    expect(await serverId(c.databases.forRead('user:2'))).to.equal(1);

    await onReplica('START SLAVE SQL_THREAD');
    await caughtUp();
    const backMs = await eventually('replica back in use', async () => (await replicasSection()).replicas[0].in_use === true);
    console.log(`      SQL thread started: back in use after ${backMs} ms`);
    expect(await serverId(c.db.read)).to.equal(2);
    expect(
      await c.databases.forRead('user:2').query<any[]>("SELECT option_value FROM wp_options WHERE option_name = 'slbp_ryw_probe'"),
    ).to.deep.equal([{ option_value: 'written' }]);
  });

  it('skips a replica while it lags more than SLBP_REPLICA_MAX_LAG_SEC (2 s) and uses it again when it catches up', async () => {
    // A replica that applies every change 5 s late: real lag, as after a long-running write.
    await onReplica('STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=5; START SLAVE');
    try {
      await c.db.write.query("INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('slbp_lag_probe', 'x', 'no')");
      // Keep the very answer that showed the replica skipped: the lag moves on while we look.
      let section: any;
      const skippedMs = await eventually('lagging replica skipped', async () => {
        const now = await replicasSection();
        if (now.replicas[0].in_use !== false) return false;
        section = now;
        return true;
      });
      console.log(`      replica 5 s behind: skipped ${skippedMs} ms after the write (${section.replicas[0].reason})`);
      expect(section.replicas[0].lag_seconds).to.be.greaterThan(2);
      expect(section.replicas[0].reason).to.match(/^lag \d+ s exceeds 2 s$/);
      expect(await serverId(c.db.read)).to.equal(1);
      const backMs = await eventually(
        'caught-up replica back in use',
        async () => (await replicasSection()).replicas[0].in_use === true,
        15_000,
      );
      console.log(`      caught up: back in use ${backMs} ms later`);
      expect(await c.db.read.query<any[]>("SELECT option_name FROM wp_options WHERE option_name = 'slbp_lag_probe'")).to.have.length(1);
    } finally {
      await onReplica('STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE');
    }
  });

  it('keeps reading from the primary while the replica is down, and uses it again once it is back', async () => {
    await replica.stop();
    // Before the monitor notices, a read that hits the dead replica is answered by the primary.
    expect(await serverId(c.databases.forRead('user:3'))).to.equal(1);
    const skippedMs = await eventually('dead replica skipped', async () => (await replicasSection()).replicas[0].in_use === false);
    const section = await replicasSection();
    console.log(`      replica stopped: skipped after ${skippedMs} ms (${section.replicas[0].reason})`);
    expect(section.replicas[0].reason).to.match(/^unreachable/);
    expect(section.replicas[0].lag_seconds).to.equal(null);
    for (let i = 0; i < 20; i++) expect(await serverId(c.db.read)).to.equal(1);
    const health = await call(`${base}/health`);
    expect(health.status).to.equal(200);

    await c.db.write.query("INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('slbp_while_down', 'x', 'no')");
    await replica.start();
    await caughtUp();
    const backMs = await eventually('replica back in use', async () => (await replicasSection()).replicas[0].in_use === true, 20_000);
    console.log(`      replica restarted: caught up and back in use after ${backMs} ms`);
    expect(await serverId(c.db.read)).to.equal(2);
    expect(await c.db.read.query<any[]>("SELECT option_name FROM wp_options WHERE option_name = 'slbp_while_down'")).to.have.length(1);
  });
});
