/**
 * A small parser and evaluator for Temporal's visibility (List/Count) query language:
 * comparisons (= != > >= < <=), IN / NOT IN, BETWEEN .. AND .., STARTS_WITH, IS [NOT] NULL, AND / OR / NOT and
 * parentheses. ORDER BY is accepted and ignored (results come newest first).
 */

export type QueryNode =
  | { kind: 'and' | 'or'; left: QueryNode; right: QueryNode }
  | { kind: 'not'; inner: QueryNode }
  | { kind: 'cmp'; field: string; op: string; values: Array<string | number> };

interface Token {
  t: 'id' | 'str' | 'num' | 'op' | 'lp' | 'rp' | 'comma';
  v: string;
}

const TIME_FIELDS = new Set(['StartTime', 'CloseTime', 'ExecutionTime']);

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(') {
      out.push({ t: 'lp', v: c });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp', v: c });
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma', v: c });
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < q.length && q[j] !== c) {
        if (q[j] === '\\' && j + 1 < q.length) j++;
        s += q[j++];
      }
      if (j >= q.length) throw new Error('unterminated string literal');
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else if (c === '`') {
      const j = q.indexOf('`', i + 1);
      if (j < 0) throw new Error('unterminated identifier');
      out.push({ t: 'id', v: q.slice(i + 1, j) });
      i = j + 1;
    } else if (/[=!<>]/.test(c)) {
      const two = q.slice(i, i + 2);
      if (['!=', '>=', '<=', '<>'].includes(two)) {
        out.push({ t: 'op', v: two === '<>' ? '!=' : two });
        i += 2;
      } else if (c === '=' || c === '<' || c === '>') {
        out.push({ t: 'op', v: c });
        i++;
      } else {
        throw new Error(`unexpected character ${c}`);
      }
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(q.slice(i));
      if (!m) throw new Error(`unexpected character ${c}`);
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(q.slice(i)) as RegExpExecArray;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      throw new Error(`unexpected character ${c}`);
    }
  }
  return out;
}

export function parseQuery(query: string): QueryNode | undefined {
  const q = query.replace(/\s+order\s+by\s+[\s\S]*$/i, '').trim();
  if (!q) return undefined;
  const toks = tokenize(q);
  let pos = 0;
  const peek = (): Token | undefined => toks[pos];
  const kw = (word: string): boolean => {
    const t = peek();
    if (t && t.t === 'id' && t.v.toUpperCase() === word) {
      pos++;
      return true;
    }
    return false;
  };
  const value = (): string | number => {
    const t = toks[pos++];
    if (!t) throw new Error('value expected');
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'id') return t.v;
    throw new Error(`value expected, got ${t.v}`);
  };
  const orExpr = (): QueryNode => {
    let left = andExpr();
    while (kw('OR')) left = { kind: 'or', left, right: andExpr() };
    return left;
  };
  const andExpr = (): QueryNode => {
    let left = unary();
    while (kw('AND')) left = { kind: 'and', left, right: unary() };
    return left;
  };
  const unary = (): QueryNode => {
    if (kw('NOT')) return { kind: 'not', inner: unary() };
    const t = peek();
    if (t?.t === 'lp') {
      pos++;
      const inner = orExpr();
      if (peek()?.t !== 'rp') throw new Error('missing )');
      pos++;
      return inner;
    }
    return comparison();
  };
  const comparison = (): QueryNode => {
    const f = toks[pos++];
    if (!f || f.t !== 'id') throw new Error(`field name expected${f ? `, got ${f.v}` : ''}`);
    const field = f.v;
    const t = peek();
    if (t?.t === 'op') {
      pos++;
      return { kind: 'cmp', field, op: t.v, values: [value()] };
    }
    if (kw('IS')) {
      const not = kw('NOT');
      if (!kw('NULL')) throw new Error('NULL expected');
      return { kind: 'cmp', field, op: not ? 'notnull' : 'null', values: [] };
    }
    const negated = kw('NOT');
    if (kw('IN')) {
      if (peek()?.t !== 'lp') throw new Error('( expected after IN');
      pos++;
      const values: Array<string | number> = [value()];
      while (peek()?.t === 'comma') {
        pos++;
        values.push(value());
      }
      if (peek()?.t !== 'rp') throw new Error('missing )');
      pos++;
      return { kind: 'cmp', field, op: negated ? 'notin' : 'in', values };
    }
    if (kw('BETWEEN')) {
      const lo = value();
      if (!kw('AND')) throw new Error('AND expected in BETWEEN');
      const node: QueryNode = { kind: 'cmp', field, op: 'between', values: [lo, value()] };
      return negated ? { kind: 'not', inner: node } : node;
    }
    if (kw('STARTS_WITH')) {
      const node: QueryNode = { kind: 'cmp', field, op: 'prefix', values: [value()] };
      return negated ? { kind: 'not', inner: node } : node;
    }
    throw new Error(`operator expected after ${field}`);
  };
  const node = orExpr();
  if (pos < toks.length) throw new Error(`unexpected token ${toks[pos].v}`);
  return node;
}

function normalize(field: string, v: unknown): unknown {
  if (TIME_FIELDS.has(field) && typeof v === 'string') {
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new Error(`invalid time ${v}`);
    return ms;
  }
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? v : ms;
  }
  return v;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function matchOne(field: string, op: string, actual: unknown, values: Array<string | number>): boolean {
  const a = normalize(field, actual);
  const vs = values.map((v) => normalize(field, v));
  switch (op) {
    case '=':
      return compare(a, vs[0]) === 0;
    case '!=':
      return compare(a, vs[0]) !== 0;
    case '>':
      return compare(a, vs[0]) > 0;
    case '>=':
      return compare(a, vs[0]) >= 0;
    case '<':
      return compare(a, vs[0]) < 0;
    case '<=':
      return compare(a, vs[0]) <= 0;
    case 'in':
      return vs.some((v) => compare(a, v) === 0);
    case 'notin':
      return !vs.some((v) => compare(a, v) === 0);
    case 'between':
      return compare(a, vs[0]) >= 0 && compare(a, vs[1]) <= 0;
    case 'prefix':
      return String(a).startsWith(String(vs[0]));
    default:
      return false;
  }
}

export function matchesQuery(node: QueryNode, rec: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'and':
      return matchesQuery(node.left, rec) && matchesQuery(node.right, rec);
    case 'or':
      return matchesQuery(node.left, rec) || matchesQuery(node.right, rec);
    case 'not':
      return !matchesQuery(node.inner, rec);
    case 'cmp': {
      const actual = rec[node.field];
      if (node.op === 'null') return actual === undefined || actual === null;
      if (node.op === 'notnull') return actual !== undefined && actual !== null;
      if (actual === undefined || actual === null) return node.op === '!=' || node.op === 'notin';
      // Keyword lists match when any element matches (negations when none does).
      if (Array.isArray(actual)) {
        if (node.op === '!=' || node.op === 'notin') {
          return actual.every((x) => matchOne(node.field, node.op, x, node.values));
        }
        return actual.some((x) => matchOne(node.field, node.op, x, node.values));
      }
      return matchOne(node.field, node.op, actual, node.values);
    }
  }
}
