import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/config/load.ts';

const run = promisify(execFile);
const DEPCRUISE = path.join(projectRoot, 'node_modules/.bin/depcruise');
const CONFIG = path.join(projectRoot, '.dependency-cruiser.cjs');

/**
 * Runs the repository's dependency rules on `dir`/src as `npm run lint:deps` does (its exit code
 * is what fails CI), and reads the violations from its report: `error <rule>: <from> → <to>`.
 */
async function cruise(dir: string): Promise<{ code: number; violations: [string, string, string][] }> {
  let code = 0;
  let out: string;
  try {
    out = (await run(DEPCRUISE, ['src', '--config', CONFIG], { cwd: dir })).stdout;
  } catch (err) {
    const e = err as { code: number; stdout: string };
    code = e.code;
    out = e.stdout;
  }
  const violations = [...out.replace(/ →\s+/g, ' → ').matchAll(/error ([\w-]+): (\S+) → (\S+)/g)].map(
    (m) => [m[1]!, m[2]!, m[3]!] as [string, string, string],
  );
  return { code, violations };
}

/** A small tree laid out like src/ that keeps every rule: each test adds one import that breaks one. */
const GOOD: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true },
    include: ['src'],
  }),
  'src/errors.ts': 'export class SidecarError extends Error {}\n',
  'src/http/route.ts': "import { SidecarError } from '../errors.ts';\nexport const route = () => new SidecarError('x');\n",
  'src/domain/rules.ts': "import { SidecarError } from '../errors.ts';\nexport const rule = () => { throw new SidecarError('no'); };\n",
  'src/data/rows.ts': 'export const rows = (): number[] => [];\n',
  'src/cache/memo.ts': "import { rows } from '../data/rows.ts';\nexport const memo = rows;\n",
  'src/backup/backups.ts': "import { rows } from '../data/rows.ts';\nexport const backup = rows;\n",
  'src/jobs/cron.ts': 'export const every = (fn: () => void) => fn;\n',
  'src/features/billing.ts':
    "import { rule } from '../domain/rules.ts';\nimport { route } from '../http/route.ts';\nimport { every } from '../jobs/cron.ts';\nexport const createBilling = () => ({ rule, route, job: every(rule) });\n",
  'src/container.ts': "import { createBilling } from './features/billing.ts';\nexport const buildContainer = () => createBilling();\n",
};

describe('dependency rules (npm run lint:deps)', function () {
  this.timeout(60_000);
  let dir = '';

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-deps-'));
    for (const [file, text] of Object.entries(GOOD)) await put(file, text);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const put = async (file: string, text: string) => {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  };

  const breaks = async (file: string, text: string, rule: string, from: string, to: string) => {
    await put(file, text);
    const { code, violations } = await cruise(dir);
    expect(code, 'exit code').to.not.equal(0);
    // A cycle is reported from whichever of its modules the walk met first.
    const found = violations.filter(([name, a, b]) => name === rule && [a, b].sort().join() === [from, to].sort().join());
    expect(found, JSON.stringify(violations)).to.have.length(1);
  };

  it('passes a tree that keeps the layers', async () => {
    expect(await cruise(dir)).to.deep.equal({ code: 0, violations: [] });
  });

  it('fails when the domain imports HTTP', () =>
    breaks(
      'src/domain/answer.ts',
      "import { route } from '../http/route.ts';\nexport const answer = route;\n",
      'domain-not-http',
      'src/domain/answer.ts',
      'src/http/route.ts',
    ));

  it('fails when data or the cache imports the domain', async () => {
    await breaks(
      'src/data/scoped.ts',
      "import { rule } from '../domain/rules.ts';\nexport const scoped = rule;\n",
      'data-cache-not-domain',
      'src/data/scoped.ts',
      'src/domain/rules.ts',
    );
    await breaks(
      'src/cache/policy.ts',
      "import type { rule } from '../domain/rules.ts';\nexport type Policy = typeof rule;\n",
      'data-cache-not-domain',
      'src/cache/policy.ts',
      'src/domain/rules.ts',
    );
  });

  it('fails when a job imports a business service', () =>
    breaks(
      'src/jobs/nightly.ts',
      "import { backup } from '../backup/backups.ts';\nexport const nightly = backup;\n",
      'jobs-only-schedule',
      'src/jobs/nightly.ts',
      'src/backup/backups.ts',
    ));

  it('fails on an import cycle, type-only imports included', () =>
    breaks(
      'src/data/rows.ts',
      "import type { memo } from '../cache/memo.ts';\nexport const rows = (): number[] => [];\nexport type Memo = typeof memo;\n",
      'no-circular',
      'src/data/rows.ts',
      'src/cache/memo.ts',
    ));

  it('fails when a layer reaches into the composition root', () =>
    breaks(
      'src/http/server.ts',
      "import { buildContainer } from '../container.ts';\nexport const serve = buildContainer;\n",
      'not-to-composition',
      'src/http/server.ts',
      'src/container.ts',
    ));
});
