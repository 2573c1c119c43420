import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { fillTemplate, setUpstreamDown, upstreamLine } from '../../scripts/lib/nginx-config.ts';

describe('nginx configuration helpers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-nginx-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes upstream lines with the passive check settings', () => {
    expect(upstreamLine('10.0.0.5:8787')).to.equal('server 10.0.0.5:8787 max_fails=2 fail_timeout=5s;');
    expect(upstreamLine('10.0.0.5:8787', { maxFails: 3, failTimeoutSec: 10, down: true })).to.equal(
      'server 10.0.0.5:8787 max_fails=3 fail_timeout=10s down;',
    );
  });

  it('marks exactly one node down and up again, leaving other lines and comments alone', async () => {
    const file = path.join(dir, 'upstreams.conf');
    const original =
      '# pool\nserver 10.0.0.5:80 max_fails=2 fail_timeout=5s;\nserver 10.0.0.5:8080 max_fails=2 fail_timeout=5s;\n  server 10.0.0.6:80;\n';
    await writeFile(file, original);
    expect(await setUpstreamDown(file, '10.0.0.5:80', true)).to.equal(true);
    expect(await readFile(file, 'utf8')).to.equal(
      original.replace('server 10.0.0.5:80 max_fails=2 fail_timeout=5s;', 'server 10.0.0.5:80 max_fails=2 fail_timeout=5s down;'),
    );
    expect(await setUpstreamDown(file, '10.0.0.6:80', true)).to.equal(true);
    expect(await readFile(file, 'utf8')).to.include('  server 10.0.0.6:80 down;\n');
    await setUpstreamDown(file, '10.0.0.5:80', false);
    await setUpstreamDown(file, '10.0.0.6:80', false);
    expect(await readFile(file, 'utf8')).to.equal(original);
    expect(await setUpstreamDown(file, '10.0.0.7:80', true)).to.equal(false);
  });

  it('refuses to render a template with a placeholder it has no value for', () => {
    expect(fillTemplate('listen {{LISTEN}};', { LISTEN: '80' })).to.equal('listen 80;');
    expect(() => fillTemplate('listen {{LISTEN}}; root {{WP_ROOT}};', { LISTEN: '80' })).to.throw(/WP_ROOT/);
  });
});
