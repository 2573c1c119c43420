import type { ConfigOverrides } from '../config/schema.ts';
import { buildContainer, type Container } from '../container.ts';
import type { Cli } from './cli.ts';

/**
 * Runs `fn` with the sidecar's container on the configured site (jobs off, warnings only in the
 * log; with --verbose also info), started and then closed whatever happens.
 */
export async function withContainer<T>(
  cli: Cli,
  fn: (c: Container) => Promise<T>,
  opts: { start?: boolean; overrides?: ConfigOverrides } = {},
): Promise<T> {
  const config = cli.config({
    overrides: { log: { level: cli.globals().verbose ? 'info' : 'warn', format: 'pretty' }, jobs: { enabled: false }, ...opts.overrides },
  });
  const c = buildContainer(config);
  try {
    if (opts.start !== false) await c.start();
    return await fn(c);
  } finally {
    await c.close();
  }
}
