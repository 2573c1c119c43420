import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import blake from 'blakejs';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function encode64(input: Buffer, count: number): string {
  let out = '';
  let i = 0;
  do {
    let value = input[i++]!;
    out += ITOA64[value & 0x3f];
    if (i < count) value |= input[i]! << 8;
    out += ITOA64[(value >> 6) & 0x3f];
    if (i++ >= count) break;
    if (i < count) value |= input[i]! << 16;
    out += ITOA64[(value >> 12) & 0x3f];
    if (i++ >= count) break;
    out += ITOA64[(value >> 18) & 0x3f];
  } while (i < count);
  return out;
}

/** phpass "portable" crypt, as WordPress's class-phpass.php computes it. */
function phpassCrypt(password: string, setting: string): string {
  const fail = setting.startsWith('*0') ? '*1' : '*0';
  if (setting.slice(0, 3) !== '$P$' && setting.slice(0, 3) !== '$H$') return fail;
  const log2 = ITOA64.indexOf(setting[3] ?? '');
  if (log2 < 7 || log2 > 30) return fail;
  const salt = setting.slice(4, 12);
  if (salt.length !== 8) return fail;
  const pw = Buffer.from(password, 'utf8');
  let hash = createHash('md5')
    .update(Buffer.concat([Buffer.from(salt, 'binary'), pw]))
    .digest();
  for (let count = 1 << log2; count > 0; count--)
    hash = createHash('md5')
      .update(Buffer.concat([hash, pw]))
      .digest();
  return setting.slice(0, 12) + encode64(hash, 16);
}

/** A WordPress `$P$` phpass hash (cost 8 → 2^13 rounds, as WordPress makes them). */
export function hashPhpass(password: string, log2 = 13): string {
  return phpassCrypt(password, `$P$${ITOA64[log2]}${encode64(randomBytes(6), 6)}`);
}

/** WordPress 6.8+ hash: `$wp` + bcrypt over base64(HMAC-SHA384(password, 'wp-sha384')). */
export function hashWpBcrypt(password: string, cost = 10): string {
  const pre = createHmac('sha384', 'wp-sha384').update(password, 'utf8').digest('base64');
  return `$wp${bcrypt.hashSync(pre, cost).replace(/^\$2b\$/, '$2y$')}`;
}

function equalStrings(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * WordPress 6.8+ `wp_fast_hash()` (used for Application Passwords): `$generic$` + hex of
 * sodium_crypto_generichash (keyed BLAKE2b, 30 bytes) with the key `wp_fast_hash_6.8+`.
 */
export function wpFastHash(message: string): string {
  return `$generic$${blake.blake2bHex(Buffer.from(message, 'utf8'), Buffer.from('wp_fast_hash_6.8+'), 30)}`;
}

/** Checks a password against every format WordPress has stored: $wp$2y$, $2y$, $P$/$H$, md5, $generic$. */
export async function verifyWpPassword(password: string, stored: string): Promise<boolean> {
  if (!stored) return false;
  if (stored.startsWith('$generic$')) return equalStrings(wpFastHash(password), stored);
  if (stored.startsWith('$wp$2')) {
    const pre = createHmac('sha384', 'wp-sha384').update(password, 'utf8').digest('base64');
    return bcrypt.compare(pre, stored.slice(3).replace(/^\$2y\$/, '$2b$'));
  }
  if (/^\$2[abxy]\$/.test(stored)) return bcrypt.compare(password, stored.replace(/^\$2y\$/, '$2b$'));
  if (stored.startsWith('$P$') || stored.startsWith('$H$')) return equalStrings(phpassCrypt(password, stored), stored);
  if (/^[a-f0-9]{32}$/i.test(stored)) return equalStrings(createHash('md5').update(password, 'utf8').digest('hex'), stored.toLowerCase());
  return false;
}

/**
 * The kind of a stored password hash: its algorithm and cost, as far as they set the time a check
 * takes (`$wp$2y$10`, `$2y$12`, `$P$B`, `md5`, `$generic$`), or null for a format nothing verifies.
 */
export function hashKind(stored: string): string | null {
  if (stored.startsWith('$generic$')) return '$generic$';
  let m = /^(\$wp)?\$(2[abxy])\$(\d{2})\$/.exec(stored);
  if (m) return `${m[1] ?? ''}$${m[2]}$${m[3]}`;
  m = /^\$([PH])\$(.)/.exec(stored);
  if (m) return `$${m[1]}$${m[2]}`;
  return /^[a-f0-9]{32}$/i.test(stored) ? 'md5' : null;
}

/**
 * A hash of a random password, of the given kind (see hashKind): checking a password against it
 * costs what checking against a real hash of that kind costs. Costs are clamped to what WordPress
 * makes (bcrypt 4..15, phpass 2^7..2^24 rounds). bcrypt is hashed asynchronously (cost 12 takes a
 * quarter of a second). Null for an unknown kind.
 */
export async function dummyHashOf(kind: string): Promise<string | null> {
  const password = randomBytes(18).toString('base64');
  if (kind === 'md5') return createHash('md5').update(password).digest('hex');
  if (kind === '$generic$') return wpFastHash(password);
  let m = /^(\$wp)?\$(2[abxy])\$(\d{2})$/.exec(kind);
  if (m) {
    const cost = Math.min(15, Math.max(4, Number(m[3])));
    const secret = m[1] ? createHmac('sha384', 'wp-sha384').update(password, 'utf8').digest('base64') : password;
    return `${m[1] ?? ''}${(await bcrypt.hash(secret, cost)).replace(/^\$2b\$/, `$${m[2]}$`)}`;
  }
  m = /^\$([PH])\$(.)$/.exec(kind);
  if (m) {
    const log2 = Math.min(24, Math.max(7, ITOA64.indexOf(m[2]!)));
    return phpassCrypt(password, `$${m[1]}$${ITOA64[log2]}${encode64(randomBytes(6), 6)}`);
  }
  return null;
}
