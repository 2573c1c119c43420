import { readFileSync } from 'node:fs';

/** One way the sidecar's answer departs from the plugin's: where (a JSON path, `$` for the body) and how. */
export interface Difference {
  path: string;
  problem: string;
}

/** The plugin's two date formats (PHP's `c` and MySQL's DATETIME) and its numbers written as strings. */
const FORMATS: { name: string; re: RegExp }[] = [
  { name: "PHP date('c')", re: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/ },
  { name: 'Y-m-d H:i:s', re: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/ },
  { name: 'a number in a string', re: /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/ },
];

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Where `ours` departs from the plugin's `theirs`: every field the plugin had must be there with
 * the same JSON type, recursively; a string in one of the plugin's formats (dates, numeric
 * strings) must be in the same format. Arrays are compared by element: each element of the
 * plugin's with the sidecar's element of the same kind (the same `status` when it has one, else
 * the first). A null of the plugin's says nothing about the type; fields the sidecar adds are fine.
 */
export function compareShape(theirs: unknown, ours: unknown, path = '$'): Difference[] {
  if (theirs === null) return [];
  if (kind(theirs) !== kind(ours)) return [{ path, problem: `the plugin's is ${kind(theirs)}, the sidecar's ${kind(ours)}` }];
  if (typeof theirs === 'string') {
    const format = FORMATS.find((f) => f.re.test(theirs));
    if (format && !format.re.test(ours as string))
      return [{ path, problem: `the plugin's is ${format.name} (${theirs}), the sidecar's ${JSON.stringify(ours)}` }];
    return [];
  }
  if (Array.isArray(theirs)) {
    const list = ours as unknown[];
    const out: Difference[] = [];
    for (const element of theirs) {
      if (!list.length) return [{ path: `${path}[]`, problem: "the sidecar's array is empty: its elements cannot be compared" }];
      const status = element && typeof element === 'object' ? (element as Record<string, unknown>).status : undefined;
      const peer = (status !== undefined && list.find((e) => (e as Record<string, unknown> | null)?.status === status)) || list[0];
      out.push(...compareShape(element, peer, `${path}[]`));
    }
    return dedupe(out);
  }
  if (typeof theirs === 'object') {
    const out: Difference[] = [];
    for (const [k, v] of Object.entries(theirs as Record<string, unknown>)) {
      const sub = path === '$' ? k : `${path}.${k}`;
      if (!(k in (ours as Record<string, unknown>))) out.push({ path: sub, problem: 'missing' });
      else out.push(...compareShape(v, (ours as Record<string, unknown>)[k], sub));
    }
    return out;
  }
  return [];
}

function dedupe(list: Difference[]): Difference[] {
  const seen = new Set<string>();
  return list.filter((d) => !seen.has(d.path) && seen.add(d.path));
}

/** A deliberate difference listed in docs/compatibility.md: the captured answer and the field. */
export interface ListedDifference {
  answer: string;
  path: string;
}

/**
 * The rows of the one table of deliberate differences in docs/compatibility.md (between its
 * `compat-table` markers): the first column names the captured answer, the second the field.
 */
export function listedDifferences(file: string): ListedDifference[] {
  const text = readFileSync(file, 'utf8');
  const m = /<!-- compat-table:start -->([\s\S]*?)<!-- compat-table:end -->/.exec(text);
  if (!m) throw new Error(`${file} has no compat-table markers`);
  const rows = m[1]!
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l));
  return rows.slice(1).map((row) => {
    const cells = row
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim().replace(/^`|`$/g, ''));
    return { answer: cells[0]!, path: cells[1]! };
  });
}
