// Graceful deletion of mirror pods on the embedded API: which DELETE marks a pod Terminating
// (deletionTimestamp = now + grace) instead of removing it, and that a second one cannot lengthen it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markDeleting, podDeletionGrace } from '../../src/apiserver/graceful.js';
import type { KubeObject } from '../../src/apiserver/resources.js';

const pod = (over: { nodeName?: string; phase?: string; mirror?: boolean } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-node1', namespace: 'default', uid: 'u', ...(over.mirror === false ? {} : { annotations: { 'kubernetes.io/config.mirror': 'h' } }) },
  spec: { nodeName: over.nodeName ?? 'node1', containers: [] },
  status: { phase: over.phase ?? 'Running' },
});

describe('graceful pod deletion', () => {
  it('is graceful only for a running mirror pod bound to a node, when the DELETE names a grace period', () => {
    assert.equal(podDeletionGrace(pod(), { gracePeriodSeconds: 30 }), 30);
    assert.equal(podDeletionGrace(pod(), {}), 0, 'a plain kubectl delete removes it at once');
    assert.equal(podDeletionGrace(pod(), { gracePeriodSeconds: 0 }), 0);
    assert.equal(podDeletionGrace(pod({ mirror: false }), { gracePeriodSeconds: 30 }), 0, 'no node agent runs an ordinary pod here');
    assert.equal(podDeletionGrace(pod({ nodeName: '' }), { gracePeriodSeconds: 30 }), 0, 'unscheduled');
    assert.equal(podDeletionGrace(pod({ phase: 'Succeeded' }), { gracePeriodSeconds: 30 }), 0, 'already finished');
  });

  it('sets deletionTimestamp to now + grace; a later DELETE may shorten it, not lengthen it', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const marked = markDeleting(pod(), 5, now)!;
    assert.equal(marked.metadata.deletionTimestamp, '2030-01-01T00:00:05Z');
    assert.equal(marked.metadata.deletionGracePeriodSeconds, 5);
    assert.equal(markDeleting(marked, 10, now + 1000), undefined);
    assert.equal(markDeleting(marked, 1, now + 1000)!.metadata.deletionTimestamp, '2030-01-01T00:00:02Z');
  });
});
