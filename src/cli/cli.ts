import { InvalidArgumentError } from 'commander';
import type { Config, ConfigOverrides } from '../config/schema.ts';
import type { CliIo } from './io.ts';

/** The global options, valid before or after any subcommand. */
export interface GlobalOptions {
  wpConfig?: string;
  env?: string;
  verbose?: boolean;
}

/** What every command gets: where to write, and the sidecar's settings as the server would load them. */
export interface Cli {
  io: CliIo;
  globals(): GlobalOptions;
  /** Loads the configuration (defaults, wp-config.php, environment, --wp-config/--env, `cli`), or throws ConfigError. */
  config(extra?: { overrides?: ConfigOverrides; port?: string; host?: string; env?: NodeJS.ProcessEnv }): Config;
  out(line: string): void;
  err(line: string): void;
  /** The code the program exits with once the command returns (0 unless a command sets it). */
  exitCode: number;
}

export const PROGRAM = 'slbp';

/** Parses a whole number for an option; anything else is misuse, reported by the parser with the flag. */
export function wholeNumber(min = 0): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`expected a whole number${min ? ` ≥ ${min}` : ''}.`);
    return Number(v);
  };
}
