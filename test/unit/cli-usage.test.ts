import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.ts';
import { hasStack, runInProcess } from '../helpers/cli.ts';

/** Every command path of the program, e.g. ['backup', 'restore'] (leaves and groups alike). */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

const { program } = buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, stdin: process.stdin, env: {} });
const paths = commandPaths(program);
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('slbp command line: help and misuse (no database needed)', () => {
  it('has a subcommand for the server and for everything scripts/ did', () => {
    const names = paths.map((p) => p.join(' '));
    for (const expected of [
      'serve',
      'doctor',
      'backup create',
      'backup list',
      'backup verify',
      'backup restore',
      'backup dr-test',
      'api-keys create',
      'api-keys list',
      'api-keys revoke',
      'import',
      'migrate',
      'pool start',
      'pool restart-node',
      'pool stop',
      'rolling-update',
      'shim-zip',
      'demo',
      'create-db',
    ])
      expect(names, expected).to.include(expected);
  });

  it('--help at every level: exit 0, usage on stdout, nothing on stderr', async () => {
    for (const p of [[], ...paths]) {
      const r = await runInProcess([...p, '--help']);
      expect(r.code, p.join(' ')).to.equal(0);
      expect(r.out, p.join(' ')).to.match(new RegExp(`^Usage: slbp${p.length ? ` ${p.join(' ')}` : ''} `));
      expect(r.out, p.join(' ')).to.include('--wp-config <path>');
      expect(r.err, p.join(' ')).to.equal('');
    }
  });

  it('--version prints the version from package.json, also after a subcommand', async () => {
    for (const args of [['--version'], ['-V'], ['serve', '--version']]) {
      const r = await runInProcess(args);
      expect(r.code).to.equal(0);
      expect(r.out.trim()).to.equal(version);
    }
  });

  it('an unknown option on any command: exit 2, one line on stderr naming the command, no stack trace', async () => {
    for (const p of [[], ...paths]) {
      const r = await runInProcess([...p, '--no-such-option']);
      const name = ['slbp', ...p].join(' ');
      expect(r.code, name).to.equal(2);
      expect(r.out, name).to.equal('');
      const lines = r.err.trimEnd().split('\n');
      expect(lines, name).to.have.length(1);
      // (A command with required options names the first missing one before the unknown one.)
      expect(lines[0], name).to.match(
        new RegExp(`^${name}: (unknown option '--no-such-option'|required option '.+' not specified) \\(see ${name} --help\\)$`),
      );
      expect(hasStack(r.err), name).to.equal(false);
    }
  });

  it('bad arguments and values are misuse too, one line each', async () => {
    for (const args of [
      ['backup', 'verify'],
      ['backup', 'restore'],
      ['backup', 'create', '--components', 'database,photos'],
      ['migrate', 'sideways'],
      ['pool', 'start', '--nodes', 'many'],
      ['demo', '--size', 'huge'],
      ['api-keys', 'create', '--name', 'x'],
      ['frobnicate'],
      ['backup', 'lisst'],
      ['--env', 'staging', 'doctor'],
    ]) {
      const r = await runInProcess(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err.trimEnd().split('\n'), args.join(' ')).to.have.length(1);
      expect(r.err, args.join(' ')).to.match(/^slbp/);
      expect(hasStack(r.err)).to.equal(false);
    }
    const typo = await runInProcess(['backup', 'lisst']);
    expect(typo.err).to.include('Did you mean list?');
  });

  it('settings that do not load: one line naming every bad setting, with the hint for DB_NAME', async () => {
    const r = await runInProcess(['api-keys', 'list'], { SLBP_ENV: 'test', SLBP_PORT: 'abc' });
    expect(r.code).to.equal(2);
    expect(r.err.trimEnd().split('\n')).to.have.length(1);
    expect(r.err).to.match(/^slbp: invalid configuration: .*SLBP_PORT: "abc" is not a whole number/);
    expect(r.err).to.include('DB_NAME: no database name is configured (give --wp-config /path/to/wp-config.php, or set DB_NAME)');
  });
});
