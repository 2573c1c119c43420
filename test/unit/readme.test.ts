import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SETTINGS } from '../../src/config/load.ts';
import { SIDECAR_NODE_FLAGS } from '../../src/config/node-flags.ts';

describe('README configuration table', () => {
  it('documents every setting the loader accepts', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = SETTINGS.map((s) => s.name).filter((n) => !readme.includes(`\`${n}\``));
    expect(missing).to.deep.equal([]);
  });
});

describe('production Node flags', () => {
  it('every place that starts the sidecar for production passes the same flags', () => {
    const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
    const flags = SIDECAR_NODE_FLAGS.join(' ');
    const launchers: [string, RegExp][] = [
      ['scripts/demo.sh', /exec node (.*?) --import tsx src\/cli\/main\.ts demo/],
      ['config/systemd/skylearn-billing-sidecar@.service', /ExecStart=\/usr\/bin\/node (.*?) bin\/slbp\.js serve/],
      ['package.json', /"start": "node (.*?) bin\/slbp\.js serve"/],
      ['README.md', /`node (.*?) bin\/slbp\.js serve/],
    ];
    for (const [file, pattern] of launchers) expect(pattern.exec(read(file))?.[1], file).to.equal(flags);
  });
});

describe('systemd example', () => {
  it('leaves jobs on, and lets each instance turn them off in its own env file read after the shared one', () => {
    const read = (p: string) => readFileSync(new URL(`../../config/systemd/${p}`, import.meta.url), 'utf8');
    expect(read('sidecar.env.example')).to.match(/^SLBP_JOBS_ENABLED=true$/m);
    const unit = read('skylearn-billing-sidecar@.service');
    const shared = unit.indexOf('EnvironmentFile=/etc/skylearn-billing/sidecar.env\n');
    const own = unit.indexOf('EnvironmentFile=-/etc/skylearn-billing/sidecar-%i.env\n');
    expect(shared).to.be.above(-1);
    expect(own).to.be.above(shared);
  });
});
