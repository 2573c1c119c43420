import { maybeUnserialize, phpSerialize } from '../../data/php-serialize.ts';
import { verifyWpPassword } from '../passwords.ts';

/** The user meta key WordPress keeps Application Passwords under (WP_Application_Passwords::USERMETA_KEY_APPLICATION_PASSWORDS). */
export const APPLICATION_PASSWORDS_META = '_application_passwords';

export interface ApplicationPassword {
  uuid: string;
  app_id: string;
  name: string;
  password: string;
  created: number;
  last_used: number | null;
  last_ip: string | null;
}

/**
 * Strips what WP_Application_Passwords::chunk_password() adds for display: people paste
 * `abcd efgh ijkl mnop qrst uvwx`, WordPress compares the 24 letters and digits only.
 */
export function normaliseApplicationPassword(given: string): string | null {
  const raw = given.replace(/[^a-z\d]/gi, '');
  return raw.length === 24 ? raw : null;
}

/** Parses the PHP-serialized meta value into its entries (malformed entries are skipped). */
export function parseApplicationPasswords(raw: string | undefined): ApplicationPassword[] {
  if (!raw) return [];
  const value = maybeUnserialize(raw, `user meta ${APPLICATION_PASSWORDS_META}`);
  const list = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value) : [];
  return list.filter(
    (e): e is ApplicationPassword => !!e && typeof e === 'object' && typeof (e as ApplicationPassword).password === 'string',
  );
}

/** The entry the given password matches (phpass, `$wp$` or `$generic$` hashes), or null. */
export async function matchApplicationPassword(entries: ApplicationPassword[], given: string): Promise<ApplicationPassword | null> {
  const raw = normaliseApplicationPassword(given);
  if (!raw) return null;
  for (const e of entries) if (await verifyWpPassword(raw, e.password)) return e;
  return null;
}

/**
 * The meta value with the matched entry's `last_used`/`last_ip` updated, as
 * WP_Application_Passwords::record_application_password_usage() does (at most once a day), or
 * null when nothing needs writing.
 */
export function recordUsage(
  entries: ApplicationPassword[],
  used: ApplicationPassword,
  ip: string,
  now = Math.floor(Date.now() / 1000),
): string | null {
  if (used.last_used && now - Number(used.last_used) < 86_400) return null;
  return phpSerialize(entries.map((e) => (e.uuid === used.uuid ? { ...e, last_used: now, last_ip: ip } : e)));
}
