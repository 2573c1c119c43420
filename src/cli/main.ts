/** The `slbp` command line: `slbp --help` lists every command. */
import { processIo } from './io.ts';
import { runCli } from './program.ts';

process.exit(await runCli(process.argv.slice(2), processIo()));
