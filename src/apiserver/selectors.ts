// Label and field selectors, parsed once per request and matched against every object of a list or
// watch. Grammar and semantics follow k8s.io/apimachinery (labels.Parse, fields.ParseSelector):
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, `a>1`, `a<1` for labels;
// `f=v`, `f==v`, `f!=v` joined by `,` for fields. `!=`/`notin`/`!a` also match objects without the
// label, as in kube.
import { ApiError } from './status.js';

export type LabelOp = 'exists' | 'notexists' | 'eq' | 'neq' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** true when the selector selects everything (empty string). */
  readonly empty: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  /** `get(field)` returns the object's value for a field, '' when absent. */
  matches(get: (field: string) => string): boolean;
}

function invalidSelector(kind: 'label' | 'field', selector: string, why: string): ApiError {
  return new ApiError(400, 'BadRequest', `unable to parse ${kind} selector "${selector}": ${why}`);
}

// ---- labels ---------------------------------------------------------------------------------------

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key (`[prefix/]name`), or undefined when it is. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  let name = key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    name = key.slice(slash + 1);
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN_RE.test(prefix)) {
      return `prefix part of "${key}" must be a lowercase DNS subdomain (e.g. example.com), at most 253 characters`;
    }
  }
  if (name.length === 0 || name.length > 63 || !NAME_RE.test(name)) {
    return `name part of "${key}" must be 1-63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is ('' is valid). */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME_RE.test(value)) {
    return `"${value}" must be at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

type Tok =
  | { t: 'id'; v: string }
  | { t: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | 'in' | 'notin' | '<' | '>' | 'eof' };

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);

function lexLabels(s: string, fail: (why: string) => ApiError): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '!' && s[i + 1] === '=') {
      out.push({ t: '!=' });
      i += 2;
    } else if (c === '=' && s[i + 1] === '=') {
      out.push({ t: '==' });
      i += 2;
    } else if (SPECIAL.has(c)) {
      out.push({ t: c as '!' | '=' | '(' | ')' | ',' | '<' | '>' });
      i++;
    } else {
      let j = i;
      while (j < s.length && !SPECIAL.has(s[j]!) && !/\s/.test(s[j]!)) j++;
      const word = s.slice(i, j);
      if (word === 'in' || word === 'notin') out.push({ t: word });
      else out.push({ t: 'id', v: word });
      i = j;
    }
  }
  if (out.length > 10000) throw fail('too many terms');
  out.push({ t: 'eof' });
  return out;
}

export function parseLabelSelector(selector: string): LabelSelector {
  const fail = (why: string) => invalidSelector('label', selector, why);
  const toks = lexLabels(selector, fail);
  let p = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;
  const ident = (what: string): string => {
    const t = next();
    if (t.t !== 'id') throw fail(`expected ${what}, found "${t.t}"`);
    return t.v;
  };
  const reqs: LabelRequirement[] = [];
  if (peek().t !== 'eof') {
    for (;;) {
      reqs.push(parseRequirement());
      const t = next();
      if (t.t === 'eof') break;
      if (t.t !== ',') throw fail(`expected "," between requirements, found "${t.t === 'id' ? t.v : t.t}"`);
    }
  }

  function checkKey(key: string): string {
    const err = labelKeyError(key);
    if (err) throw fail(`invalid label key: ${err}`);
    return key;
  }
  function checkValue(v: string): string {
    const err = labelValueError(v);
    if (err) throw fail(`invalid label value: ${err}`);
    return v;
  }

  function parseRequirement(): LabelRequirement {
    if (peek().t === '!') {
      next();
      return { key: checkKey(ident('a label key after "!"')), op: 'notexists', values: [] };
    }
    const key = checkKey(ident('a label key'));
    const t = peek();
    if (t.t === ',' || t.t === 'eof') return { key, op: 'exists', values: [] };
    next();
    switch (t.t) {
      case '=':
      case '==':
      case '!=': {
        const v = peek();
        const value = v.t === 'id' ? (next(), v.v) : '';
        if (v.t !== 'id' && v.t !== ',' && v.t !== 'eof') throw fail(`expected a value after "${t.t}"`);
        return { key, op: t.t === '!=' ? 'neq' : 'eq', values: [checkValue(value)] };
      }
      case 'in':
      case 'notin': {
        if (next().t !== '(') throw fail(`expected "(" after "${t.t}"`);
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v.t === 'id') {
            next();
            values.push(checkValue(v.v));
          } else if (v.t === ',' || v.t === ')') {
            values.push('');
          } else {
            throw fail(`expected a value or ")" in the set of "${key}"`);
          }
          const sep = next();
          if (sep.t === ')') break;
          if (sep.t !== ',') throw fail(`expected "," or ")" in the set of "${key}"`);
        }
        return { key, op: t.t, values };
      }
      case '<':
      case '>': {
        const v = ident(`an integer after "${t.t}"`);
        if (!/^-?\d+$/.test(v)) throw fail(`"${v}" is not an integer (needed after "${t.t}")`);
        return { key, op: t.t === '<' ? 'lt' : 'gt', values: [v] };
      }
      default:
        throw fail(`unexpected "${t.t === 'id' ? t.v : t.t}" after label key "${key}"`);
    }
  }

  return {
    requirements: reqs,
    empty: reqs.length === 0,
    matches(labels) {
      for (const r of reqs) if (!matchLabel(r, labels)) return false;
      return true;
    },
  };
}

function matchLabel(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels![r.key]! : '';
  switch (r.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'eq':
      return has && v === r.values[0];
    case 'neq':
      return !has || v !== r.values[0];
    case 'in':
      return has && r.values.includes(v);
    case 'notin':
      return !has || !r.values.includes(v);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(v)) return false;
      const a = Number(v);
      const b = Number(r.values[0]);
      return r.op === 'gt' ? a > b : a < b;
    }
  }
}

// ---- fields ---------------------------------------------------------------------------------------

/**
 * Parses a field selector. `supported` lists the fields this resource can be selected by; any
 * other field is a 400, as kube answers `field label not supported`.
 */
export function parseFieldSelector(selector: string, supported: readonly string[], resource = 'this resource'): FieldSelector {
  const fail = (why: string) => invalidSelector('field', selector, why);
  const reqs: FieldRequirement[] = [];
  for (const term of splitUnescaped(selector, ',')) {
    if (term.trim() === '') {
      if (selector.trim() === '') break;
      throw fail('empty term (two commas in a row, or a trailing comma)');
    }
    const m = findOperator(term);
    if (!m) throw fail(`"${term}" has no operator: use field=value, field==value or field!=value`);
    const field = term.slice(0, m.at).trim();
    const value = unescapeField(term.slice(m.at + m.op.length));
    if (!supported.includes(field)) {
      throw new ApiError(
        400,
        'BadRequest',
        `field label not supported: "${field}" (field selectors on ${resource} support: ${supported.join(', ')})`,
      );
    }
    reqs.push({ field, op: m.op === '!=' ? 'neq' : 'eq', value });
  }
  return {
    requirements: reqs,
    empty: reqs.length === 0,
    matches(get) {
      for (const r of reqs) {
        const v = get(r.field);
        if (r.op === 'eq' ? v !== r.value : v === r.value) return false;
      }
      return true;
    },
  };
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function findOperator(term: string): { at: number; op: '!=' | '==' | '=' } | undefined {
  for (let i = 0; i < term.length; i++) {
    const c = term[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '!' && term[i + 1] === '=') return { at: i, op: '!=' };
    if (c === '=' && term[i + 1] === '=') return { at: i, op: '==' };
    if (c === '=') return { at: i, op: '=' };
  }
  return undefined;
}

function unescapeField(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}
