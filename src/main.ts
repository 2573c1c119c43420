/**
 * The server's entry point: `slbp serve` with these arguments (`--port`, `--host`, `--wp-config`,
 * `--env`, `--help`, `--version`). The systemd unit, npm start and the local pool run it.
 */
import { processIo } from './cli/io.ts';
import { runCli } from './cli/program.ts';

process.exit(await runCli(['serve', ...process.argv.slice(2)], processIo()));
