// The stats sweep's /proc listing: one listing shared by the containers asked about together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { sharedProcessList } from '../../src/runtime/process/procfs.js';

test('calls within maxAgeMs share one /proc listing; a later call lists again and sees new processes', async () => {
  const first = sharedProcessList(60_000);
  const second = sharedProcessList(60_000);
  assert.equal(first, second, 'the second call reuses the listing in progress');
  const snapshot = await first;
  assert.ok(snapshot.processes.some((p) => p.pid === process.pid), 'the listing holds this process');

  const child = spawn('sleep', ['30']);
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    assert.ok(!(await sharedProcessList(60_000)).processes.some((p) => p.pid === child.pid), 'a fresh-enough listing is reused as it was');
    // maxAgeMs 0: the shared listing is too old at once, so /proc is read again.
    const fresh = await sharedProcessList(0);
    assert.notEqual(fresh, snapshot);
    assert.ok(fresh.processes.some((p) => p.pid === child.pid), 'the new listing sees the new process');
  } finally {
    child.kill('SIGKILL');
  }
});
