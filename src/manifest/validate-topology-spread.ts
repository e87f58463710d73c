// spec.topologySpreadConstraints (upstream validateTopologySpreadConstraints). Spreading is the
// scheduler's business and never applies to a static pod, but upstream validates the constraints
// on every pod, so Berth accepts exactly what the API server accepts.
import type { Checker } from './check.js';
import { msg } from './errors.js';
import { isUnset, type JsonObject } from './json.js';
import { checkLabelKeys, checkLabelSelector, selectorKeys } from './validate-selector.js';

const WHEN_UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'];
const NODE_INCLUSION_POLICIES = ['Honor', 'Ignore'];
const NOT_POSITIVE = 'must be greater than zero';

export function checkTopologySpreadConstraints(c: Checker, spec: JsonObject): void {
  const constraints = c.objects(spec, 'topologySpreadConstraints', 'spec.topologySpreadConstraints');
  const pairs = constraints.map(([t]) => `${String(t.topologyKey ?? '')}\u0000${String(t.whenUnsatisfiable ?? '')}`);
  constraints.forEach(([t, i], n) => {
    const path = `spec.topologySpreadConstraints[${i}]`;
    const maxSkew = c.int(t, 'maxSkew', `${path}.maxSkew`) ?? 0;
    if (maxSkew <= 0) c.add(`${path}.maxSkew`, msg.invalid(maxSkew, NOT_POSITIVE), 'set maxSkew to 1 or more');
    const topologyKey = c.str(t, 'topologyKey', `${path}.topologyKey`) ?? '';
    if (topologyKey === '') c.add(`${path}.topologyKey`, msg.required('can not be empty'), 'set topologyKey to a node label key such as kubernetes.io/hostname');
    const when = c.str(t, 'whenUnsatisfiable', `${path}.whenUnsatisfiable`) ?? '';
    if (!WHEN_UNSATISFIABLE.includes(when)) c.add(`${path}.whenUnsatisfiable`, msg.unsupported(when, WHEN_UNSATISFIABLE), 'set whenUnsatisfiable to DoNotSchedule or ScheduleAnyway');
    // Upstream reports a repeated {topologyKey, whenUnsatisfiable} pair at the first of the two.
    if (pairs.slice(n + 1).includes(pairs[n]!)) {
      c.add(`${path}.{topologyKey, whenUnsatisfiable}`, msg.duplicate(`{${topologyKey}, ${when}}`), 'keep one constraint per topologyKey and whenUnsatisfiable');
    }
    const minDomains = c.int(t, 'minDomains', `${path}.minDomains`);
    if (minDomains !== undefined) {
      if (minDomains <= 0) c.add(`${path}.minDomains`, msg.invalid(minDomains, NOT_POSITIVE), 'set minDomains to 1 or more, or remove it');
      if (when !== 'DoNotSchedule') {
        c.add(`${path}.minDomains`, msg.invalid(minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`), 'remove minDomains, or set whenUnsatisfiable: DoNotSchedule');
      }
    }
    for (const key of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      const v = c.str(t, key, `${path}.${key}`);
      if (v !== undefined && !NODE_INCLUSION_POLICIES.includes(v)) c.add(`${path}.${key}`, msg.unsupported(v, NODE_INCLUSION_POLICIES), `set ${key} to Honor or Ignore`);
    }
    checkSelectorAndKeys(c, t, path);
  });
}

/**
 * matchLabelKeys (each a label name, none already in the selector, and only with a selector),
 * then the labelSelector itself: upstream's order.
 */
function checkSelectorAndKeys(c: Checker, t: JsonObject, path: string): void {
  const kp = `${path}.matchLabelKeys`;
  const keys = c.stringList(t, 'matchLabelKeys', kp) ?? [];
  if (keys.length > 0) {
    if (isUnset(t.labelSelector)) c.add(kp, msg.forbidden('must not be specified when labelSelector is not set'), 'add a labelSelector, or remove matchLabelKeys');
    checkLabelKeys(c, keys, kp);
    const named = selectorKeys(t.labelSelector);
    keys.forEach((key, i) => {
      if (named.has(key)) c.add(`${kp}[${i}]`, msg.invalid(key, 'exists in both matchLabelKeys and labelSelector'), `remove "${key}" from matchLabelKeys or from the labelSelector`);
    });
  }
  checkLabelSelector(c, t, 'labelSelector', `${path}.labelSelector`);
}
