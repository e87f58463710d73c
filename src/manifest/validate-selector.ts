// A label selector (matchLabels + matchExpressions), as apimachinery's ValidateLabelSelector checks
// it; pod affinity terms and topology spread constraints carry one. Upstream checks selectors of a
// new pod strictly (every value must be a valid label value), so Berth does too.
import type { Checker } from './check.js';
import { msg } from './errors.js';
import { isObject, type JsonObject } from './json.js';
import { labelValue, qualifiedName } from './names.js';

/** The keys a selector names (matchLabels and matchExpressions), for the matchLabelKeys rules. */
export interface SelectorKeys {
  matchLabels: string[];
  matchExpressions: string[];
}

/** Checks `obj[key]` as a LabelSelector; returns its keys, or undefined when it is not set. */
export function checkLabelSelector(c: Checker, obj: JsonObject, key: string, path: string): SelectorKeys | undefined {
  const selector = c.object(obj, key, path);
  if (!selector) return undefined;
  const keys: SelectorKeys = { matchLabels: [], matchExpressions: [] };
  const lp = `${path}.matchLabels`;
  for (const [k, v] of c.stringMap(selector, 'matchLabels', lp)) {
    keys.matchLabels.push(k);
    for (const e of qualifiedName(k)) c.add(lp, msg.invalid(k, e), `rename label key "${k}": optional "prefix/" then at most 63 letters, digits, '-', '_' or '.'`);
    for (const e of labelValue(v)) c.add(lp, msg.invalid(v, e), `change the value of "${k}" to at most 63 letters, digits, '-', '_' or '.' (or empty)`);
  }
  for (const [req, i] of c.objects(selector, 'matchExpressions', `${path}.matchExpressions`)) {
    const rp = `${path}.matchExpressions[${i}]`;
    const values = c.stringList(req, 'values', `${rp}.values`) ?? [];
    const operator = c.str(req, 'operator', `${rp}.operator`) ?? '';
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) c.add(`${rp}.values`, msg.required("must be specified when `operator` is 'In' or 'NotIn'"), 'list the label values to match under values');
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) c.add(`${rp}.values`, msg.forbidden("may not be specified when `operator` is 'Exists' or 'DoesNotExist'"), 'remove values');
    } else {
      c.add(`${rp}.operator`, msg.invalid(operator, 'not a valid selector operator'), 'use In, NotIn, Exists or DoesNotExist');
    }
    const k = c.str(req, 'key', `${rp}.key`) ?? '';
    keys.matchExpressions.push(k);
    for (const e of qualifiedName(k)) c.add(`${rp}.key`, msg.invalid(k, e), 'use a label key such as app or example.com/tier');
    values.forEach((v, j) => {
      for (const e of labelValue(v)) c.add(`${rp}.values[${j}]`, msg.invalid(v, e), "use label values of at most 63 letters, digits, '-', '_' or '.'");
    });
  }
  return keys;
}

/** The label keys of matchLabelKeys / mismatchLabelKeys (as read): each must be a label name. */
export function checkLabelKeys(c: Checker, keys: readonly string[], path: string): void {
  keys.forEach((k, i) => {
    for (const e of qualifiedName(k)) c.add(`${path}[${i}]`, msg.invalid(k, e), 'use a pod label key such as app or pod-template-hash');
  });
}

/** The keys a selector (as written) names, without checking it. */
export function selectorKeys(selector: unknown): Set<string> {
  const keys = new Set<string>();
  if (!isObject(selector)) return keys;
  if (isObject(selector.matchLabels)) for (const k of Object.keys(selector.matchLabels)) keys.add(k);
  if (Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions) if (isObject(e) && typeof e.key === 'string') keys.add(e.key);
  }
  return keys;
}
