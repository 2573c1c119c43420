import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SETTINGS } from '../../src/config/load.ts';
import { SIDECAR_NODE_FLAGS } from '../../src/config/node-flags.ts';
import { CHECKS } from '../../src/doctor/doctor.ts';
import { ZONES } from '../../src/http/middleware/rate-limit.ts';

const readme = () => readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** The text of one `## title` section. */
const section = (title: string) => {
  const text = readme();
  const start = text.indexOf(`\n## ${title}\n`);
  expect(start, title).to.be.above(-1);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
};

describe('README configuration table', () => {
  it('documents every setting the loader accepts', () => {
    const text = readme();
    const missing = SETTINGS.map((s) => s.name).filter((n) => !text.includes(`\`${n}\``));
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

describe('README accuracy', () => {
  it('Troubleshooting has a row for every check of slbp doctor', () => {
    const text = section('Troubleshooting');
    expect(CHECKS.map((c) => c.id).filter((id) => !text.includes(`| \`${id}\` |`))).to.deep.equal([]);
  });

  it('gives the rate limits as the X-RateLimit-Limit header reports them', () => {
    const text = section('Signing in, API keys and rate limits');
    expect(text).to.include(`| \`api\` | ${ZONES.api.max} | ${ZONES.api.durationMs / 1000} s |`);
    expect(text).to.include(`| \`auth\` | ${ZONES.auth.max} | ${ZONES.auth.durationMs / 1000} s |`);
  });

  it('links each decision record under its own number, to a file that exists', () => {
    const links = [...readme().matchAll(/\[(\d{4})\]\((docs\/decisions\/(\d{4})-[^)]+\.md)\)/g)];
    expect(links.length).to.be.above(2);
    for (const [, label, file, number] of links) {
      expect(label, file).to.equal(number);
      expect(existsSync(new URL(`../../${file}`, import.meta.url)), file).to.equal(true);
    }
  });

  it('shows --wp-config with the commands an operator runs against a site', () => {
    const text = readme();
    for (const cmd of ['doctor', 'migrate', 'import', 'api-keys create'])
      expect(text, cmd).to.match(new RegExp(`slbp ${cmd} --wp-config /var/www/html/wp-config.php`));
    expect(section('Pointing it at an existing WordPress site')).to.include('SLBP_SIDECAR_URL').and.include('npm ci');
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
