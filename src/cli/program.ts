import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { SidecarError } from '../errors.ts';
import { ConfigError, loadConfig, projectRoot } from '../config/load.ts';
import { registerApiKeys } from './commands/api-keys.ts';
import { registerBackup } from './commands/backup.ts';
import { registerDemo } from './commands/demo.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerImport } from './commands/import.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerPool } from './commands/pool.ts';
import { registerServe } from './commands/serve.ts';
import { registerShimZip } from './commands/shim-zip.ts';
import { PROGRAM, type Cli, type GlobalOptions } from './cli.ts';
import { CliError, type CliIo } from './io.ts';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The `slbp` program: every subcommand, each with --help; misuse exits 2 with one line. */
export function buildProgram(io: CliIo): { program: Command; cli: Cli } {
  const program = new Command(PROGRAM);
  const cli: Cli = {
    io,
    globals: () => program.opts<GlobalOptions>(),
    config(extra = {}) {
      const g = program.opts<GlobalOptions>();
      return loadConfig({
        env: extra.env ?? io.env,
        cli: { wpConfig: g.wpConfig, env: g.env, port: extra.port, host: extra.host },
        overrides: extra.overrides,
      });
    },
    out: (line) => {
      io.stdout.write(`${line}\n`);
    },
    err: (line) => {
      io.stderr.write(`${line}\n`);
    },
    exitCode: 0,
  };
  program
    .description('SkyLearn Billing sidecar: the server, its checks and its operations tools')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .addOption(new Option('--wp-config <path>', "read settings from this site's wp-config.php (also SLBP_WP_CONFIG)"))
    .addOption(new Option('--env <name>', 'settings environment (also SLBP_ENV)').choices(['development', 'production', 'test']))
    .option('--verbose', 'show stack traces of unexpected errors')
    .helpOption('-h, --help', 'show help for a command')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  program.addHelpText(
    'after',
    `
Settings come from config/, wp-config.php (--wp-config), the environment and flags, in that
order; every setting is listed in README.md. Run "${PROGRAM} doctor" to check a site.`,
  );

  registerServe(program, cli);
  registerDoctor(program, cli);
  registerBackup(program, cli);
  registerApiKeys(program, cli);
  registerImport(program, cli);
  registerMigrate(program, cli);
  registerPool(program, cli);
  registerShimZip(program, cli);
  registerDemo(program, cli);

  // Errors from the parser as one line naming the command: "slbp backup: unknown option '--x' (see slbp backup --help)".
  const oneLine = (cmd: Command) => {
    const name = [...ancestry(cmd)].map((c) => c.name()).join(' ');
    cmd.configureOutput({
      outputError: (str, write) =>
        write(
          `${name}: ${str
            .replace(/^error: /, '')
            .replace(/\s*\n\s*/g, ' ')
            .trim()} (see ${name} --help)\n`,
        ),
    });
    for (const sub of cmd.commands) oneLine(sub);
  };
  oneLine(program);
  return { program, cli };
}

function* ancestry(cmd: Command): Generator<Command> {
  if (cmd.parent) yield* ancestry(cmd.parent);
  yield cmd;
}

/** Runs `slbp <argv>`; resolves to the exit code. Never exits the process itself. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { program, cli } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (err) {
    return reportError(err, cli, program.opts<GlobalOptions>().verbose ?? argv.includes('--verbose'));
  }
}

/** One line for what the operator can fix; a stack trace only with --verbose. */
function reportError(err: unknown, cli: Cli, verbose: boolean): number {
  if (err instanceof CommanderError) {
    // Help and version exit 0; every other parser error is misuse (already printed as one line).
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof CliError) {
    cli.err(`${PROGRAM}: ${err.message}`);
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    cli.err(`${PROGRAM}: ${err.message}`);
    return 2;
  }
  if (err instanceof SidecarError) {
    cli.err(`${PROGRAM}: ${err.code}: ${err.message}`);
    return 1;
  }
  const e = err as Error;
  if (verbose) cli.err(`${PROGRAM}: ${e?.stack ?? String(err)}`);
  else cli.err(`${PROGRAM}: ${e?.message ?? String(err)} (run with --verbose for the stack trace)`);
  return 1;
}
