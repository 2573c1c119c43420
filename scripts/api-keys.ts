/**
 * Manages API keys in `{prefix}slbp_api_keys` with the sidecar's own configuration
 * (environment or --wp-config). See `npm run api-keys -- help`.
 */
import { ConfigError, loadConfig } from '../src/config/load.ts';
import { API_KEYS_USAGE, CliError, runApiKeysCli } from './lib/api-keys-cli.ts';

const argv = process.argv.slice(2);
const wpIdx = argv.findIndex((a) => a === '--wp-config' || a.startsWith('--wp-config='));
const configArgs = wpIdx >= 0 ? argv.splice(wpIdx, argv[wpIdx]!.includes('=') ? 1 : 2) : [];
try {
  if (!argv.length || argv[0] === 'help' || argv[0] === '--help') {
    console.log(API_KEYS_USAGE);
  } else {
    for (const line of await runApiKeysCli(argv, loadConfig({ argv: configArgs }))) console.log(line);
  }
} catch (err) {
  if (err instanceof CliError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`api-keys: ${(err as Error).message}\n\n${API_KEYS_USAGE}`);
    process.exit(2);
  }
  throw err;
}
