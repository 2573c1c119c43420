import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig, parseDbHost } from '../../src/config/load.ts';
import { parseWpConfig } from '../../src/config/wp-config.ts';

const fixture = new URL('../fixtures/wp-config.php', import.meta.url).pathname;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('takes database, prefix, Redis and secrets from wp-config.php alone', () => {
    const c = loadConfig({ env: { SLBP_ENV: 'test' }, argv: ['--wp-config', fixture] });
    expect(c.db).to.include({
      host: '10.0.0.5',
      port: 3307,
      name: 'shop_wp',
      user: 'shop_user',
      password: 'p@ss\'word"$x',
      tablePrefix: 'shop_',
    });
    expect(c.db.readHosts).to.deep.equal(['replica1:3306', 'replica2:3306']);
    expect(c.redis).to.include({ host: 'cache.internal', port: 6380, password: 'redis-secret' });
    expect(c.redis.cluster).to.deep.equal(['127.0.0.1:7000', '127.0.0.1:7001']);
    expect(c.security.sidecarSecret).to.equal('shared-shim-secret');
    expect(c.wpSalts.AUTH_KEY).to.equal('put your unique phrase here');
  });

  it('lets environment variables override wp-config.php', () => {
    const c = loadConfig({ env: { SLBP_ENV: 'test', SLBP_WP_CONFIG: fixture, DB_NAME: 'other', SLBP_PORT: '9000' } });
    expect(c.db.name).to.equal('other');
    expect(c.server.port).to.equal(9000);
  });

  it('lists every problem by setting name at once', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: { SLBP_ENV: 'test', SLBP_PORT: 'abc', SLBP_REDIS_ENABLED: 'maybe' },
        argv: ['--wp-config', '/nonexistent/wp-config.php'],
      }),
    );
    expect(problems.join('\n')).to.match(/SLBP_PORT: "abc" is not a whole number/);
    expect(problems.join('\n')).to.match(/SLBP_REDIS_ENABLED/);
    expect(problems.join('\n')).to.match(/--wp-config .*cannot read \/nonexistent\/wp-config.php: ENOENT/);
    expect(problems.join('\n')).to.match(/DB_NAME: no database name is configured/);
    expect(problems).to.have.length(4);
  });

  it('refuses a port out of range and an unsafe table prefix', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { SLBP_ENV: 'test', DB_NAME: 'x', WP_REDIS_PORT: '70000', SLBP_TABLE_PREFIX: 'wp_; DROP' } }),
    );
    expect(problems.join('\n')).to.match(/WP_REDIS_PORT: "70000" is not a port/);
    expect(problems.join('\n')).to.match(/SLBP_TABLE_PREFIX: only letters, digits and underscores/);
  });

  it("refuses a Redis prefix with braces (it would become every key's Cluster hash tag)", () => {
    const problems = problemsOf(() => loadConfig({ env: { SLBP_ENV: 'test', DB_NAME: 'x', SLBP_REDIS_PREFIX: 'shop{1}:' } }));
    expect(problems.join('\n')).to.match(/SLBP_REDIS_PREFIX: must not contain \{ or \}/);
  });

  it('parses every DB_HOST form WordPress accepts', () => {
    expect(parseDbHost('db')).to.deep.equal({ host: 'db' });
    expect(parseDbHost('db:3307')).to.deep.equal({ host: 'db', port: 3307 });
    expect(parseDbHost('localhost:/run/mysqld/mysqld.sock')).to.deep.equal({ host: 'localhost', socketPath: '/run/mysqld/mysqld.sock' });
    expect(parseDbHost('[::1]:3306')).to.deep.equal({ host: '::1', port: 3306 });
    expect(parseDbHost('db:abc')).to.equal(null);
  });

  it('records where every setting came from', () => {
    const c = loadConfig({ env: { SLBP_ENV: 'test', SLBP_WP_CONFIG: fixture, DB_NAME: 'other' }, cli: { port: '9100' } });
    expect(c.provenance.sources).to.include({
      DB_USER: `wp-config.php (${fixture})`,
      DB_NAME: 'environment',
      SLBP_PORT: 'command line (--port)',
      SLBP_LOG_LEVEL: 'config/test.json',
      SLBP_BODY_LIMIT: 'config/default.json',
      SLBP_TABLE_PREFIX: `wp-config.php (${fixture}) $table_prefix`,
    });
    expect(Object.keys(c.provenance.sources)).to.have.length.above(60);
  });

  describe('wp-config.php values that are expressions (getenv(...))', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slbp-wpc-'));
    const file = path.join(dir, 'wp-config.php');
    writeFileSync(
      file,
      `<?php
define( 'DB_NAME', 'shop' );
define( 'DB_USER', 'shop' );
define( 'DB_PASSWORD', getenv( 'SHOP_DB_PASSWORD' ) );
define( 'AUTH_KEY', getenv('AUTH_KEY') ?: 'fallback-secret-literal' );
define( 'SLBP_LOG_LEVEL', WP_DEBUG ? 'debug' : 'info' );
$table_prefix = 'shop_';
`,
    );

    it('are described without their text (it may hold a secret)', () => {
      const parsed = parseWpConfig(
        `<?php define('DB_PASSWORD', getenv('X')); define('B', \\Env::get('Y')); define('C', 'a' . 'secret'); $table_prefix = getenv('P') ?: 'wp_';`,
      );
      expect(parsed.skippedAs).to.deep.equal({
        DB_PASSWORD: 'getenv(...)',
        B: 'Env::get(...)',
        C: 'an expression',
        $table_prefix: 'getenv(...)',
      });
    });

    it('stop the start naming the setting to set in the environment, instead of becoming an empty password', () => {
      const problems = problemsOf(() => loadConfig({ env: { SLBP_ENV: 'test' }, argv: ['--wp-config', file] }));
      expect(problems).to.deep.equal([
        `DB_PASSWORD: ${file} sets DB_PASSWORD with getenv(...), which is not a literal and is skipped; set DB_PASSWORD in the environment`,
        `SLBP_LOG_LEVEL: ${file} sets SLBP_LOG_LEVEL with an expression, which is not a literal and is skipped; set SLBP_LOG_LEVEL in the environment`,
      ]);
    });

    it('are fine when the environment gives them, and are reported as skipped', () => {
      const c = loadConfig({ env: { SLBP_ENV: 'test', DB_PASSWORD: 'from-env', SLBP_LOG_LEVEL: 'warn' }, argv: ['--wp-config', file] });
      expect(c.db.password).to.equal('from-env');
      expect(c.provenance.sources.DB_PASSWORD).to.equal('environment');
      expect(c.provenance.skipped).to.deep.equal([
        { name: 'DB_PASSWORD', as: 'getenv(...)', replacedBy: 'environment' },
        { name: 'AUTH_KEY', as: 'getenv(...)', replacedBy: null },
        { name: 'SLBP_LOG_LEVEL', as: 'an expression', replacedBy: 'environment' },
      ]);
    });
  });
});
