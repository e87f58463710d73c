// spec.affinity.nodeAffinity (upstream validateNodeAffinity / ValidateNodeSelector): the kubelet
// checks a static pod's node affinity against its own node at admission, so a malformed selector
// is a pod that is refused later for a reason that is hard to see.
import type { Checker } from './check.js';
import { msg } from './errors.js';
import type { JsonObject } from './json.js';
import { qualifiedName } from './names.js';

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);

export function checkAffinity(c: Checker, spec: JsonObject): void {
  const affinity = c.object(spec, 'affinity', 'spec.affinity');
  if (!affinity) return;
  const np = 'spec.affinity.nodeAffinity';
  const node = c.object(affinity, 'nodeAffinity', np);
  if (!node) return;
  const required = c.object(node, 'requiredDuringSchedulingIgnoredDuringExecution', `${np}.requiredDuringSchedulingIgnoredDuringExecution`);
  if (required) {
    const rp = `${np}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    const terms = c.objects(required, 'nodeSelectorTerms', rp);
    if (terms.length === 0) c.add(rp, msg.required('must have at least one node selector term'), 'add a nodeSelectorTerms entry with matchExpressions, or remove requiredDuringSchedulingIgnoredDuringExecution');
    for (const [term, i] of terms) checkTerm(c, term, `${rp}[${i}]`);
  }
  const pp = `${np}.preferredDuringSchedulingIgnoredDuringExecution`;
  for (const [pref, i] of c.objects(node, 'preferredDuringSchedulingIgnoredDuringExecution', pp)) {
    const weight = c.int(pref, 'weight', `${pp}[${i}].weight`) ?? 0;
    if (weight < 1 || weight > 100) c.add(`${pp}[${i}].weight`, msg.invalid(weight, 'must be in the range 1-100'), 'set weight to a number from 1 to 100');
    const term = c.object(pref, 'preference', `${pp}[${i}].preference`);
    if (term) checkTerm(c, term, `${pp}[${i}].preference`);
  }
}

function checkTerm(c: Checker, term: JsonObject, path: string): void {
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
      else if (!/^[+-]?[0-9]+$/.test(values[0]!)) c.add(`${rp}.values[0]`, msg.invalid(values[0], 'must be an integer'), 'write the value as a whole number');
    }
    if (!OPERATORS.has(operator)) c.add(`${rp}.operator`, msg.invalid(operator, 'not a valid selector operator'), 'use In, NotIn, Exists, DoesNotExist, Gt or Lt');
    const key = c.str(req, 'key', `${rp}.key`) ?? '';
    for (const e of qualifiedName(key)) c.add(`${rp}.key`, msg.invalid(key, e), 'use a node label key such as kubernetes.io/hostname');
  }
  for (const [req, j] of c.objects(term, 'matchFields', `${path}.matchFields`)) {
    const rp = `${path}.matchFields[${j}]`;
    const key = c.str(req, 'key', `${rp}.key`) ?? '';
    if (key !== 'metadata.name') c.add(`${rp}.key`, msg.unsupported(key, ['metadata.name']), 'use key: metadata.name (the only node field that can be matched)');
    const operator = c.str(req, 'operator', `${rp}.operator`) ?? '';
    const values = c.stringList(req, 'values', `${rp}.values`) ?? [];
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length !== 1) c.add(`${rp}.values`, msg.required("must be only one value when `operator` is 'In' or 'NotIn' for node field selector"), 'give exactly one node name');
    } else {
      c.add(`${rp}.operator`, msg.invalid(operator, 'not a valid selector operator'), 'use In or NotIn');
    }
  }
}
