// The memory floor of a container that joined its cgroup late (no limits): the cgroup's figure
// unless its processes hold more resident memory than the cgroup was charged for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withResidentFloor } from '../../src/runtime/process/stats.js';

const at = '2026-01-01T00:00:00Z';

test('a cgroup that was charged less than its processes hold: the resident memory is the working set', () => {
  const cgroup = { timestamp: at, cpuUsageNanoSeconds: 5, memoryWorkingSetBytes: 4096, memoryUsageBytes: 8192, processes: 1 };
  const processes = { timestamp: at, cpuUsageNanoSeconds: 3, memoryWorkingSetBytes: 600_000, memoryUsageBytes: 600_000, processes: 1 };
  assert.deepEqual(withResidentFloor(cgroup, processes), { ...cgroup, memoryWorkingSetBytes: 600_000, memoryUsageBytes: 600_000 });
});

test('a cgroup that counts at least what its processes hold is taken as it is', () => {
  const cgroup = { timestamp: at, memoryWorkingSetBytes: 9_000_000, memoryUsageBytes: 12_000_000 };
  assert.equal(withResidentFloor(cgroup, { timestamp: at, memoryWorkingSetBytes: 600_000 }), cgroup);
});
