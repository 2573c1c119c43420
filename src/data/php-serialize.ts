import { serialize, unserialize } from 'php-serialize';

/** A stored value PHP serialized that the sidecar cannot parse; reported, never defaulted. */
export class PhpSerializeError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: cannot unserialize (${message})`);
    this.name = 'PhpSerializeError';
  }
}

/** WordPress's is_serialized() with its default strict check (php-serialize's strict mode rejects arrays). */
export function isSerialized(value: string): boolean {
  const data = value.trim();
  if (data === 'N;') return true;
  if (data.length < 4 || data[1] !== ':') return false;
  const last = data[data.length - 1];
  if (last !== ';' && last !== '}') return false;
  switch (data[0]) {
    case 's':
      if (data[data.length - 2] !== '"') return false;
      return /^s:[0-9]+:/.test(data);
    case 'a':
    case 'O':
    case 'E':
      return new RegExp(`^${data[0]}:[0-9]+:`).test(data);
    case 'b':
    case 'i':
    case 'd':
      return new RegExp(`^${data[0]}:[0-9.E+-]+;$`).test(data);
    default:
      return false;
  }
}

/**
 * Decodes a value WordPress stored with maybe_serialize(): serialized strings are parsed
 * strictly (byte lengths as PHP counts them, in UTF-8); anything else is returned as the
 * plain string WordPress would return. `source` names the option or meta key in errors.
 */
export function maybeUnserialize(raw: string | null | undefined, source: string): unknown {
  if (raw === null || raw === undefined) return null;
  const trimmed = raw.trim();
  if (!isSerialized(trimmed)) return raw;
  try {
    return unserialize(trimmed, {}, { strict: true, encoding: 'utf8' });
  } catch (err) {
    throw new PhpSerializeError(source, (err as Error).message);
  }
}

/** Encodes like WordPress's maybe_serialize(): arrays and objects are serialized, scalars kept. */
export function maybeSerialize(value: unknown): string {
  if (value !== null && typeof value === 'object') return serialize(value, {}, { encoding: 'utf8' });
  if (typeof value === 'boolean') return value ? '1' : '';
  if (value === null || value === undefined) return '';
  return String(value);
}

/** Serializes any value (scalars included) exactly as PHP's serialize() would. */
export function phpSerialize(value: unknown): string {
  return serialize(value, {}, { encoding: 'utf8' });
}

/** Strict unserialize for values that must be serialized (user meta arrays, option arrays). */
export function phpUnserialize(raw: string, source: string): unknown {
  try {
    return unserialize(raw, {}, { strict: true, encoding: 'utf8' });
  } catch (err) {
    throw new PhpSerializeError(source, (err as Error).message);
  }
}
