// Does a pod's spec.nodeSelector and required node affinity match a node? The rules of upstream's
// component-helpers nodeaffinity (RequiredNodeAffinity.Match), which the kubelet's admission and
// the scheduler share: every nodeSelector pair must be a label of the node, and at least one
// nodeSelectorTerm must match (its expressions and fields all hold; an empty term matches nothing).
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1';

export interface NodeIdentity {
  name: string;
  labels: Record<string, string>;
}

export function podMatchesNode(pod: Pod, node: NodeIdentity): boolean {
  for (const [key, value] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (node.labels[key] !== value) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((term) => termMatches(term, node));
}

function termMatches(term: NodeSelectorTerm, node: NodeIdentity): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  return (
    expressions.every((r) => requirementHolds(r, node.labels[r.key])) &&
    // The only field a node selector may name is metadata.name.
    fields.every((r) => r.key === 'metadata.name' && requirementHolds(r, node.name))
  );
}

function requirementHolds(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // Both sides must be integers; anything else does not match (as upstream's parse error).
      const have = integer(value);
      const want = integer(values[0]);
      if (have === undefined || want === undefined || values.length !== 1) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

function integer(s: string | undefined): bigint | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  return BigInt(s);
}
