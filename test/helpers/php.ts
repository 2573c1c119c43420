import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/config/load.ts';

const run = promisify(execFile);

export interface PhpHashes {
  phpass: string;
  bcrypt: string;
  wp_bcrypt: string;
  md5: string;
  application_passwords: string;
  application_passwords_68: string;
}

/** Password hashes and `_application_passwords` meta made by real PHP (test/fixtures/wp-hashes.php). */
export async function phpHashes(password: string, applicationPassword: string): Promise<PhpHashes> {
  const { stdout } = await run('php', [path.join(projectRoot, 'test/fixtures/wp-hashes.php'), password, applicationPassword]);
  return JSON.parse(stdout) as PhpHashes;
}
