// Matching a pod's nodeSelector and required node affinity against a node, and the rejection the
// kubelet's admission gives for each failed check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1';
import { admitPod, podMatchesNode, rejectionStatusMessage } from '../../src/admission/index.js';

const node = { name: 'edge-1', labels: { 'kubernetes.io/hostname': 'edge-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', gen: '5' } };
const withSelector = (nodeSelector: Record<string, string>): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], nodeSelector } });
const withTerms = (...nodeSelectorTerms: NodeSelectorTerm[]): Pod => ({
  metadata: { name: 'p' },
  spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } },
});

describe('admission: node selector and required node affinity', () => {
  it('a nodeSelector matches only when every pair is a label of the node', () => {
    assert.equal(podMatchesNode(withSelector({ 'kubernetes.io/hostname': 'edge-1', 'kubernetes.io/os': 'linux' }), node), true);
    assert.equal(podMatchesNode(withSelector({ 'kubernetes.io/hostname': 'edge-2' }), node), false);
    assert.equal(podMatchesNode(withSelector({ disktype: 'ssd' }), node), false);
    assert.equal(podMatchesNode(withSelector({}), node), true);
  });

  it('node affinity terms are ORed, their expressions ANDed, with every operator', () => {
    const expr = (key: string, operator: string, values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });
    assert.equal(podMatchesNode(withTerms(expr('kubernetes.io/arch', 'In', ['arm64', 'amd64'])), node), true);
    assert.equal(podMatchesNode(withTerms(expr('kubernetes.io/arch', 'NotIn', ['amd64'])), node), false);
    assert.equal(podMatchesNode(withTerms(expr('kubernetes.io/arch', 'NotIn', ['amd64']), expr('gen', 'Exists')), node), true);
    assert.equal(podMatchesNode(withTerms(expr('gpu', 'Exists')), node), false);
    assert.equal(podMatchesNode(withTerms(expr('gpu', 'DoesNotExist')), node), true);
    assert.equal(podMatchesNode(withTerms(expr('gen', 'Gt', ['4'])), node), true);
    assert.equal(podMatchesNode(withTerms(expr('gen', 'Lt', ['4'])), node), false);
    // Not an integer on either side: no match (as upstream's parse error).
    assert.equal(podMatchesNode(withTerms(expr('kubernetes.io/os', 'Gt', ['1'])), node), false);
    assert.equal(podMatchesNode(withTerms(expr('gen', 'Gt', ['x'])), node), false);
    const both = { matchExpressions: [{ key: 'gen', operator: 'In', values: ['5'] }, { key: 'gpu', operator: 'Exists' }] };
    assert.equal(podMatchesNode(withTerms(both), node), false);
  });

  it('matchFields names the node by metadata.name; an empty term matches nothing', () => {
    assert.equal(podMatchesNode(withTerms({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['edge-1'] }] }), node), true);
    assert.equal(podMatchesNode(withTerms({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['edge-1'] }] }), node), false);
    assert.equal(podMatchesNode(withTerms({}), node), false);
    assert.equal(podMatchesNode(withTerms(), node), false);
  });

  it('both must hold: a matching affinity does not save a failing nodeSelector', () => {
    const pod = withTerms({ matchExpressions: [{ key: 'gen', operator: 'Exists' }] });
    pod.spec!.nodeSelector = { disktype: 'ssd' };
    assert.equal(podMatchesNode(pod, node), false);
  });

  it('the rejection carries the kubelet reason and words', () => {
    const r = admitPod(withSelector({ disktype: 'ssd' }), node);
    assert.deepEqual(r, { reason: 'NodeAffinity', message: "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    assert.equal(rejectionStatusMessage(r!), "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
    assert.equal(admitPod(withSelector({ 'kubernetes.io/hostname': 'edge-1' }), node), undefined);
    const windows: Pod = { metadata: { name: 'p' }, spec: { containers: [], os: { name: 'windows' } } };
    assert.equal(admitPod(windows, node)?.reason, 'PodOSNotSupported');
    const labelled: Pod = { metadata: { name: 'p', labels: { 'kubernetes.io/os': 'windows' } }, spec: { containers: [] } };
    assert.equal(admitPod(labelled, node)?.reason, 'PodOSSelectorNodeLabelDoesNotMatch');
  });
});
