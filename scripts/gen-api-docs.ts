/** Writes docs/api.md (and prints nothing else) from the route schemas. `--check` exits 1 if it is stale. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, projectRoot } from '../src/config/load.ts';
import { buildContainer } from '../src/container.ts';
import { renderApiMarkdown } from '../src/http/api-markdown.ts';
import { buildOpenApi } from '../src/http/openapi.ts';

/** The markdown reference as the current code describes it (no database or Redis is contacted). */
export async function currentApiMarkdown(): Promise<string> {
  const config = loadConfig({ env: { SLBP_ENV: 'test', DB_NAME: 'api_docs', SLBP_REDIS_ENABLED: 'false' } });
  const c = buildContainer(config);
  try {
    return renderApiMarkdown(buildOpenApi(c.routes, config.version));
  } finally {
    await c.close();
  }
}

const target = path.join(projectRoot, 'docs/api.md');
if (import.meta.url === `file://${process.argv[1]}`) {
  const md = await currentApiMarkdown();
  if (process.argv.includes('--check')) {
    const same = readFileSync(target, 'utf8') === md;
    console.log(same ? 'docs/api.md is current' : 'docs/api.md is stale: run npm run docs:api');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(target, md);
  console.log(`wrote ${path.relative(projectRoot, target)}`);
}
