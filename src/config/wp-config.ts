/**
 * Reads constants and `$table_prefix` out of a real wp-config.php without running PHP.
 *
 * WordPress configuration is PHP code, but the lines an operator writes are almost always
 * `define( 'NAME', <literal> );` and `$table_prefix = '<literal>';`. We scan the file with a
 * small tokenizer for exactly those statements and evaluate PHP literals (strings, numbers,
 * booleans, null, `[...]` and `array(...)`). Anything else (expressions, getenv(), constants
 * concatenated with `.`) is reported in `skipped`, never guessed.
 */
export type PhpValue = string | number | boolean | null | PhpValue[] | { [key: string]: PhpValue };

export interface WpConfigValues {
  constants: Record<string, PhpValue>;
  tablePrefix?: string;
  skipped: string[];
  /** What each skipped value looks like (`getenv(...)`, `an expression`), never its text: it may hold a secret. */
  skippedAs: Record<string, string>;
}

/** A safe description of a value that is not a literal: the function it calls, else "an expression". */
function describeExpression(s: Scanner): string {
  const m = s.peek(/^\\?([A-Za-z_][\w\\]*(?:::[A-Za-z_]\w*)?)\s*\(/);
  return m ? `${m[1]}(...)` : 'an expression';
}

class Scanner {
  pos = 0;
  constructor(readonly src: string) {}

  skipSpaceAndComments(): void {
    for (;;) {
      const rest = this.src.slice(this.pos);
      const m = /^(\s+|\/\/[^\n]*|#(?!\[)[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
      if (!m) return;
      this.pos += m[0].length;
    }
  }

  peek(re: RegExp): RegExpExecArray | null {
    this.skipSpaceAndComments();
    return re.exec(this.src.slice(this.pos));
  }

  eat(re: RegExp): RegExpExecArray | null {
    const m = this.peek(re);
    if (m) this.pos += m[0].length;
    return m;
  }

  expect(re: RegExp, what: string): RegExpExecArray {
    const m = this.eat(re);
    if (!m) throw new Error(`expected ${what}`);
    return m;
  }
}

function unescapeDouble(body: string): string {
  return body.replace(/\\(n|t|r|v|e|f|\\|\$|"|[0-7]{1,3}|x[0-9a-fA-F]{1,2}|u\{[0-9a-fA-F]+\})/g, (_, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'v':
        return '\v';
      case 'e':
        return '\x1b';
      case 'f':
        return '\f';
      case 'x':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      case 'u':
        return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
      case '\\':
      case '$':
      case '"':
        return e;
      default:
        return String.fromCharCode(parseInt(e, 8));
    }
  });
}

function parseLiteral(s: Scanner): PhpValue {
  let m: RegExpExecArray | null;
  if ((m = s.eat(/^'((?:[^'\\]|\\.)*)'/))) return m[1]!.replace(/\\(['\\])/g, '$1');
  if ((m = s.eat(/^"((?:[^"\\]|\\.)*)"/))) {
    if (/(^|[^\\])\$[A-Za-z_{]/.test(m[1]!)) throw new Error('interpolated string');
    return unescapeDouble(m[1]!);
  }
  if ((m = s.eat(/^-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])/))) return Number(m[0]);
  if ((m = s.eat(/^(true|false|null)\b/i))) {
    const w = m[1]!.toLowerCase();
    return w === 'true' ? true : w === 'false' ? false : null;
  }
  let close: RegExp | null = null;
  if (s.eat(/^\[/)) close = /^\]/;
  else if (s.eat(/^array\s*\(/i)) close = /^\)/;
  if (close) {
    const list: PhpValue[] = [];
    const map: Record<string, PhpValue> = {};
    let keyed = false;
    let next = 0;
    while (!s.eat(close)) {
      const first = parseLiteral(s);
      if (s.eat(/^=>/)) {
        keyed = true;
        const v = parseLiteral(s);
        map[String(first)] = v;
        if (typeof first === 'number') next = Math.max(next, first + 1);
      } else {
        map[String(next++)] = first;
        list.push(first);
      }
      if (!s.eat(/^,/)) {
        s.expect(close, 'end of array');
        break;
      }
    }
    return keyed ? map : list;
  }
  throw new Error('not a literal');
}

/** Blanks out PHP comments (keeping offsets), respecting quoted strings, so commented-out defines are ignored. */
function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== ch) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (src.startsWith('//', i) || (ch === '#' && src[i + 1] !== '[')) {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Parses the constants and table prefix a wp-config.php declares; never executes it. */
export function parseWpConfig(raw: string): WpConfigValues {
  const source = stripComments(raw);
  const out: WpConfigValues = { constants: {}, skipped: [], skippedAs: {} };
  const stmt = /\bdefine\s*\(|\$table_prefix\s*=/g;
  let m: RegExpExecArray | null;
  while ((m = stmt.exec(source))) {
    const s = new Scanner(source);
    s.pos = m.index + m[0].length;
    if (m[0].startsWith('$')) {
      const start = s.pos;
      try {
        const v = parseLiteral(s);
        s.expect(/^;/, ';');
        if (typeof v === 'string') {
          out.tablePrefix = v;
          continue;
        }
      } catch {
        // not a literal: described below
      }
      s.pos = start;
      out.skipped.push('$table_prefix');
      out.skippedAs.$table_prefix = describeExpression(s);
      continue;
    }
    let name: PhpValue;
    try {
      name = parseLiteral(s);
      if (typeof name !== 'string') continue;
      s.expect(/^,/, ',');
    } catch {
      continue;
    }
    const start = s.pos;
    try {
      const value = parseLiteral(s);
      s.eat(/^,\s*(true|false)/i);
      s.expect(/^\)/, ')');
      out.constants[name] = value;
    } catch {
      s.pos = start;
      out.skipped.push(name);
      out.skippedAs[name] = describeExpression(s);
    }
    stmt.lastIndex = s.pos;
  }
  return out;
}
