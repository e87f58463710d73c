// spec.affinity (upstream validateAffinity): nodeAffinity (validateNodeAffinity / ValidateNodeSelector),
// podAffinity and podAntiAffinity (validatePodAffinityTerm). The kubelet checks a static pod's node
// affinity against its own node at admission, so a malformed selector is a pod that is refused later
// for a reason that is hard to see; pod (anti-)affinity is the scheduler's and never applies to a
// static pod, but upstream validates it all the same, so a manifest Berth accepts is one the API
// server accepts too.
import type { Checker } from './check.js';
import { msg } from './errors.js';
import type { JsonObject } from './json.js';
import { dns1123Label, dns1123Subdomain, labelValue, qualifiedName } from './names.js';
import { checkLabelKeys, checkLabelSelector } from './validate-selector.js';

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);

export function checkAffinity(c: Checker, spec: JsonObject): void {
  const affinity = c.object(spec, 'affinity', 'spec.affinity');
  if (!affinity) return;
  const node = c.object(affinity, 'nodeAffinity', 'spec.affinity.nodeAffinity');
  if (node) checkNodeAffinity(c, node);
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const ap = `spec.affinity.${kind}`;
    const terms = c.object(affinity, kind, ap);
    if (!terms) continue;
    const rp = `${ap}.requiredDuringSchedulingIgnoredDuringExecution`;
    for (const [term, i] of c.objects(terms, 'requiredDuringSchedulingIgnoredDuringExecution', rp)) checkPodAffinityTerm(c, term, `${rp}[${i}]`);
    const pp = `${ap}.preferredDuringSchedulingIgnoredDuringExecution`;
    for (const [weighted, i] of c.objects(terms, 'preferredDuringSchedulingIgnoredDuringExecution', pp)) {
      const weight = c.int(weighted, 'weight', `${pp}[${i}].weight`) ?? 0;
      if (weight < 1 || weight > 100) c.add(`${pp}[${i}].weight`, msg.invalid(weight, 'must be in the range 1-100'), 'set weight to a number from 1 to 100');
      const term = c.object(weighted, 'podAffinityTerm', `${pp}[${i}].podAffinityTerm`) ?? {};
      checkPodAffinityTerm(c, term, `${pp}[${i}].podAffinityTerm`);
    }
  }
}

function checkNodeAffinity(c: Checker, node: JsonObject): void {
  const np = 'spec.affinity.nodeAffinity';
  const required = c.object(node, 'requiredDuringSchedulingIgnoredDuringExecution', `${np}.requiredDuringSchedulingIgnoredDuringExecution`);
  if (required) {
    const rp = `${np}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    const terms = c.objects(required, 'nodeSelectorTerms', rp);
    if (terms.length === 0) c.add(rp, msg.required('must have at least one node selector term'), 'add a nodeSelectorTerms entry with matchExpressions, or remove requiredDuringSchedulingIgnoredDuringExecution');
    for (const [term, i] of terms) checkTerm(c, term, `${rp}[${i}]`, true);
  }
  const pp = `${np}.preferredDuringSchedulingIgnoredDuringExecution`;
  for (const [pref, i] of c.objects(node, 'preferredDuringSchedulingIgnoredDuringExecution', pp)) {
    const weight = c.int(pref, 'weight', `${pp}[${i}].weight`) ?? 0;
    if (weight < 1 || weight > 100) c.add(`${pp}[${i}].weight`, msg.invalid(weight, 'must be in the range 1-100'), 'set weight to a number from 1 to 100');
    const term = c.object(pref, 'preference', `${pp}[${i}].preference`);
    // Upstream allows any value in a preferred term: it can still match on a one-node cluster.
    if (term) checkTerm(c, term, `${pp}[${i}].preference`, false);
  }
}

function checkTerm(c: Checker, term: JsonObject, path: string, strictValues: boolean): void {
  for (const [req, j] of c.objects(term, 'matchExpressions', `${path}.matchExpressions`)) {
    const rp = `${path}.matchExpressions[${j}]`;
    const values = c.stringList(req, 'values', `${rp}.values`) ?? [];
    const operator = c.str(req, 'operator', `${rp}.operator`) ?? '';
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) c.add(`${rp}.values`, msg.required("must be specified when `operator` is 'In' or 'NotIn'"), 'list the label values to match under values');
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) c.add(`${rp}.values`, msg.forbidden("may not be specified when `operator` is 'Exists' or 'DoesNotExist'"), 'remove values');
    } else if (operator === 'Gt' || operator === 'Lt') {
      if (values.length !== 1) c.add(`${rp}.values`, msg.required("must be specified single value when `operator` is 'Lt' or 'Gt'"), 'give exactly one integer value');
    }
    if (!OPERATORS.has(operator)) c.add(`${rp}.operator`, msg.invalid(operator, 'not a valid selector operator'), 'use In, NotIn, Exists, DoesNotExist, Gt or Lt');
    const key = c.str(req, 'key', `${rp}.key`) ?? '';
    for (const e of qualifiedName(key)) c.add(`${rp}.key`, msg.invalid(key, e), 'use a node label key such as kubernetes.io/hostname');
    if (strictValues) {
      values.forEach((v, k) => {
        for (const e of labelValue(v)) c.add(`${rp}.values[${k}]`, msg.invalid(v, e), "use node label values of at most 63 letters, digits, '-', '_' or '.'");
      });
    }
  }
  for (const [req, j] of c.objects(term, 'matchFields', `${path}.matchFields`)) {
    const rp = `${path}.matchFields[${j}]`;
    const key = c.str(req, 'key', `${rp}.key`) ?? '';
    const operator = c.str(req, 'operator', `${rp}.operator`) ?? '';
    const values = c.stringList(req, 'values', `${rp}.values`) ?? [];
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length !== 1) c.add(`${rp}.values`, msg.required("must be only one value when `operator` is 'In' or 'NotIn' for node field selector"), 'give exactly one node name');
    } else {
      c.add(`${rp}.operator`, msg.invalid(operator, 'not a valid selector operator'), 'use In or NotIn');
    }
    if (key !== 'metadata.name') {
      c.add(`${rp}.key`, msg.invalid(key, 'not a valid field selector key'), 'use key: metadata.name (the only node field that can be matched)');
    } else {
      values.forEach((v, k) => {
        for (const e of dns1123Subdomain(v)) c.add(`${rp}.values[${k}]`, msg.invalid(v, e), 'give the node name as it is registered, e.g. the output of `hostname`');
      });
    }
  }
}

/** Upstream validatePodAffinityTerm: selectors, namespaces, matchLabelKeys/mismatchLabelKeys, topologyKey. */
function checkPodAffinityTerm(c: Checker, term: JsonObject, path: string): void {
  const selector = checkLabelSelector(c, term, 'labelSelector', `${path}.labelSelector`);
  checkLabelSelector(c, term, 'namespaceSelector', `${path}.namespaceSelector`);
  for (const ns of c.stringList(term, 'namespaces', `${path}.namespaces`) ?? []) {
    for (const e of dns1123Label(ns)) c.add(`${path}.namespace`, msg.invalid(ns, e), 'list namespace names (DNS labels such as kube-system)');
  }
  const lists: Record<'matchLabelKeys' | 'mismatchLabelKeys', string[]> = { matchLabelKeys: [], mismatchLabelKeys: [] };
  for (const key of ['matchLabelKeys', 'mismatchLabelKeys'] as const) {
    const kp = `${path}.${key}`;
    const written = c.stringList(term, key, kp) ?? [];
    if (written.length === 0) continue;
    if (!selector) {
      c.add(kp, msg.forbidden('must not be specified when labelSelector is not set'), `add a labelSelector, or remove ${key}`);
    } else {
      checkLabelKeys(c, written, kp);
      lists[key] = written;
    }
  }
  if (selector) {
    // As upstream words it: a key of matchLabelKeys that the selector names both in matchLabels
    // and in matchExpressions.
    const inMatchLabels = new Set(selector.matchLabels);
    for (const key of selector.matchExpressions) {
      const i = lists.matchLabelKeys.indexOf(key);
      if (i >= 0 && inMatchLabels.has(key)) c.add(`${path}[${i}]`, msg.invalid(key, 'exists in both matchLabelKeys and labelSelector'), `remove "${key}" from matchLabelKeys or from the labelSelector`);
      inMatchLabels.add(key);
    }
  }
  const mismatch = new Set(lists.mismatchLabelKeys);
  lists.matchLabelKeys.forEach((key, i) => {
    if (mismatch.has(key)) c.add(`${path}.matchLabelKeys[${i}]`, msg.invalid(key, 'exists in both matchLabelKeys and mismatchLabelKeys'), `list "${key}" in only one of matchLabelKeys and mismatchLabelKeys`);
  });
  const topologyKey = c.str(term, 'topologyKey', `${path}.topologyKey`) ?? '';
  if (topologyKey === '') c.add(`${path}.topologyKey`, msg.required('can not be empty'), 'set topologyKey to a node label key such as kubernetes.io/hostname');
  for (const e of qualifiedName(topologyKey)) c.add(`${path}.topologyKey`, msg.invalid(topologyKey, e), 'set topologyKey to a node label key such as kubernetes.io/hostname');
}
