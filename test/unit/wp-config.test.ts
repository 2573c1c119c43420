import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseWpConfig } from '../../src/config/wp-config.ts';

describe('wp-config.php reader', () => {
  const parsed = parseWpConfig(readFileSync(new URL('../fixtures/wp-config.php', import.meta.url), 'utf8'));

  it('reads database constants, quoting and escapes as PHP does', () => {
    expect(parsed.constants.DB_NAME).to.equal('shop_wp');
    expect(parsed.constants.DB_USER).to.equal('shop_user');
    expect(parsed.constants.DB_PASSWORD).to.equal('p@ss\'word"$x');
    expect(parsed.constants.DB_HOST).to.equal('10.0.0.5:3307');
    expect(parsed.constants.WP_REDIS_PORT).to.equal(6380);
    expect(parsed.constants.WP_DEBUG).to.equal(false);
  });

  it('reads arrays and the table prefix', () => {
    expect(parsed.constants.WP_REDIS_CLUSTER).to.deep.equal(['tcp://127.0.0.1:7000', 'tcp://127.0.0.1:7001']);
    expect(parsed.tablePrefix).to.equal('shop_');
  });

  it('ignores commented-out defines and reports expressions instead of guessing', () => {
    expect(parsed.constants.DB_NAME).to.not.equal('commented_out');
    expect(parsed.constants).to.not.have.property('WP_DEBUG_LOG');
    expect(parsed.skipped).to.include('WP_DEBUG_LOG');
    expect(parsed.skipped).to.include('ABSPATH');
  });

  it('reads keys and salts', () => {
    expect(parsed.constants.AUTH_KEY).to.equal('put your unique phrase here');
    expect(parsed.constants.SECURE_AUTH_KEY).to.equal('k2 $ not interpolated in single quotes');
  });

  it('handles array() syntax, keyed arrays and double-quoted escapes', () => {
    const p = parseWpConfig(
      `<?php define('A', array('x' => 1, 'y' => "t\\tab")); define("B", -1.5); define('C', NULL); $table_prefix  =  "wp2_" ;`,
    );
    expect(p.constants.A).to.deep.equal({ x: 1, y: 't\tab' });
    expect(p.constants.B).to.equal(-1.5);
    expect(p.constants.C).to.equal(null);
    expect(p.tablePrefix).to.equal('wp2_');
  });
});
