import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { projectRoot } from '../../src/config/load.ts';
import { DUPLICATED_CRON_HOOKS } from '../../src/data/plugin-cron.ts';
import { shimSignature, shimStringToSign } from '../../src/http/identity/shim-signature.ts';

const run = promisify(execFile);
const PLUGIN = path.join(projectRoot, 'wp-plugin-shim/skylearn-billing-sidecar');

/** Runs PHP code with the shim's client class loaded (WordPress functions it needs stubbed). */
async function php(code: string): Promise<string> {
  const prelude = `define('ABSPATH', '/'); define('SLBP_SIDECAR_PLUGIN_VERSION', 't');
function untrailingslashit($s) { return rtrim($s, '/\\\\'); }
require '${PLUGIN}/includes/class-slbp-sidecar-settings.php';
require '${PLUGIN}/includes/class-slbp-sidecar-client.php';
$client = new SLBP_Sidecar_Client(new SLBP_Sidecar_Settings('http://127.0.0.1:1', 'php-secret', 2.0, true));
`;
  const { stdout } = await run('php', ['-r', prelude + code]);
  return stdout;
}

describe('the PHP shim, without WordPress', () => {
  it('every PHP file passes php -l', async () => {
    const files = (await readdir(PLUGIN, { recursive: true })).filter((f) => f.endsWith('.php'));
    expect(files.length).to.be.greaterThan(5);
    for (const f of files) {
      const { stdout } = await run('php', ['-l', path.join(PLUGIN, f)]);
      expect(stdout).to.include('No syntax errors detected');
    }
  });

  it('signs exactly what the sidecar verifies (docs/decisions/0004)', async () => {
    const cases = [
      { method: 'GET', path: '/wp-json/skylearn-billing-pro/v1/transactions?page=2&per_page=5', body: '', user: 7 },
      { method: 'post', path: '/wp-json/skylearn-billing-pro/v1/cache/invalidate', body: '{"tags":["user:7"],"note":"café ✓"}', user: 0 },
    ];
    for (const c of cases) {
      const out = await php(
        `echo json_encode($client->signed_headers(${JSON.stringify(c.method)}, ${JSON.stringify(c.path)}, base64_decode('${Buffer.from(c.body).toString('base64')}'), ${c.user}, 1795690000, 'nonce-0123456789abcdef'));`,
      );
      const headers = JSON.parse(out);
      const expected = shimSignature(
        'php-secret',
        shimStringToSign(c.method, c.path, c.body, '1795690000', 'nonce-0123456789abcdef', String(c.user)),
      );
      expect(headers['X-SLBP-Signature']).to.equal(expected);
      expect(headers['X-SLBP-User']).to.equal(String(c.user));
    }
  });

  it('takes over exactly the WP-cron hooks the sidecar reports on', async () => {
    const { stdout } = await run('php', [
      '-r',
      `define('ABSPATH', '/'); require '${PLUGIN}/includes/class-slbp-sidecar-cron-takeover.php'; echo json_encode(SLBP_Sidecar_Cron_Takeover::HOOKS);`,
    ]);
    expect(JSON.parse(stdout)).to.deep.equal([...DUPLICATED_CRON_HOOKS]);
  });

  it('builds the query string in one canonical order and encoding', async () => {
    const out = await php(
      `echo SLBP_Sidecar_Client::canonical_query(['zeta' => '1', 'alpha' => 'a b&c', '_fields' => ['id', 'amount'], 'filter' => ['status' => 'completed'], 'empty' => '']);`,
    );
    expect(out).to.equal('_fields%5B%5D=id&_fields%5B%5D=amount&alpha=a%20b%26c&empty=&filter%5Bstatus%5D=completed&zeta=1');
    expect(await php(`echo SLBP_Sidecar_Client::canonical_query([]);`)).to.equal('');
  });
});
