import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { eventCells, humanDuration, nodeCells, podCells } from '../../src/apiserver/tables.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches kubectl', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [59 * S, '59s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 2 * S, '5m2s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [8 * H + 5 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 5 * H, '2d5h'],
    [8 * D + 5 * H, '8d'],
    [400 * D, '400d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [9 * 365 * D, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

const now = Date.parse('2024-05-01T12:00:00Z');
const created = '2024-05-01T11:55:00Z';

function pod(status: Pod['status'], extra: Partial<Pod> = {}): Pod {
  return { metadata: extra.metadata ?? { name: 'p', creationTimestamp: created }, spec: { containers: [{ name: 'web' }], ...extra.spec }, status };
}

function row(p: Pod): unknown[] {
  return podCells(p, now).cells.slice(0, 5);
}

test('pod Status column as kubectl computes it', () => {
  assert.deepEqual(
    row(pod({ phase: 'Running', containerStatuses: [{ name: 'web', ready: true, restartCount: 0, image: '', imageID: '', state: { running: {} } }] })),
    ['p', '1/1', 'Running', '0', '5m'],
  );
  assert.deepEqual(
    row(
      pod({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'web',
            ready: false,
            restartCount: 3,
            image: '',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:58:00Z' } },
          },
        ],
      }),
    ),
    ['p', '0/1', 'CrashLoopBackOff', '3 (2m ago)', '5m'],
  );
  const done = podCells(
    pod({ phase: 'Succeeded', containerStatuses: [{ name: 'web', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
    now,
  );
  assert.equal(done.cells[2], 'Completed');
  assert.equal(done.conditions?.[0]?.reason, 'Succeeded');
  assert.equal(
    row(pod({ phase: 'Failed', containerStatuses: [{ name: 'web', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 2, reason: 'Error' } } }] }))[2],
    'Error',
  );
  assert.equal(row(pod({ phase: 'Running', containerStatuses: [{ name: 'web', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 137 } } }] }))[2], 'ExitCode:137');
  assert.equal(row(pod({ phase: 'Running' }, { metadata: { name: 'p', creationTimestamp: created, deletionTimestamp: '2024-05-01T11:59:00Z' } }))[2], 'Terminating');
  assert.equal(row(pod({ phase: 'Pending' }, { spec: { containers: [{ name: 'web' }], initContainers: [{ name: 'init' }] } }))[2], 'Pending');
  assert.equal(
    row(
      pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, image: '', imageID: '', state: { running: {} } }] },
        { spec: { containers: [{ name: 'web' }], initContainers: [{ name: 'init' }] } },
      ),
    )[2],
    'Init:0/1',
  );
  assert.equal(row(pod(undefined, { metadata: { name: 'p' } }))[4], '<unknown>');
});

test('node and event cells', () => {
  const n = nodeCells(
    {
      metadata: { name: 'n1', creationTimestamp: '2024-04-29T12:00:00Z', labels: { 'node-role.kubernetes.io/control-plane': '' } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'False' }], nodeInfo: { kubeletVersion: 'v1', osImage: '', kernelVersion: 'k', containerRuntimeVersion: 'c', architecture: '', bootID: '', kubeProxyVersion: '', machineID: '', operatingSystem: '', systemUUID: '' } },
    },
    now,
  );
  assert.deepEqual(n, ['n1', 'NotReady,SchedulingDisabled', 'control-plane', '2d', 'v1', '<none>', '<none>', '<unknown>', 'k', 'c']);
  assert.equal(nodeCells({ metadata: { name: 'bare' } }, now)[1], 'Unknown');
  const e = eventCells(
    {
      metadata: { name: 'e1' },
      involvedObject: { kind: 'Pod', name: 'p' },
      reason: 'BackOff',
      message: ' Back-off restarting ',
      type: 'Warning',
      firstTimestamp: '2024-05-01T11:00:00Z',
      lastTimestamp: '2024-05-01T11:59:00Z',
      count: 7,
      source: { component: 'berth', host: 'n1' },
    },
    now,
  );
  assert.deepEqual(e, ['60s', 'Warning', 'BackOff', 'pod/p', '', 'berth, n1', 'Back-off restarting', '60m', 7, 'e1']);
});
