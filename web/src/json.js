// JSON for Saksi's formats: integers are never rounded (FORMATS §1.3).

/** A JSON number written with a fraction or an exponent (`11.0`, `1e3`): never an integer field. */
export class JsonFloat {
  constructor(text) {
    this.text = text;
    this.value = Number(text);
  }
  valueOf() {
    return this.value;
  }
  toJSON() {
    return this.value;
  }
}

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const MAX_DEPTH = 512;

/**
 * JSON.parse, except: integers outside ±(2^53 − 1) become BigInt (never rounded), numbers with a
 * fraction or exponent become JsonFloat, and `__proto__` is an ordinary member.
 */
export function parseJson(text) {
  let i = 0;
  const fail = (what) => {
    throw new SyntaxError(`invalid JSON at ${i}: ${what}`);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const value = (depth) => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        const key = string();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (!m) fail('unexpected character');
    i += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return new JsonFloat(m[0]);
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? n : BigInt(m[0]);
  };
  const string = () => {
    const start = i;
    i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) i += 2;
      else if (c < 0x20) fail('control character in a string');
      else i++;
    }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return result;
}

/** JSON.stringify that writes BigInt and JsonFloat as the numbers they are. */
export function stringifyJson(value, space) {
  const marks = new Map();
  let n = 0;
  const text = JSON.stringify(
    value,
    (_key, v) => {
      if (typeof v === 'bigint') {
        const mark = `\u0000big${n++}\u0000`;
        marks.set(mark, v.toString());
        return mark;
      }
      return v;
    },
    space,
  );
  return marks.size ? text.replace(/"\\u0000big\d+\\u0000"/g, (m) => marks.get(JSON.parse(m))) : text;
}

