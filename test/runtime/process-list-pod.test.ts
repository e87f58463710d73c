// listContainers(podUid): a pod being stopped asks only for its own containers, and the process
// runtime answers that without reading every other container's state (2000 pods stopping at once
// used to read 2000 x 4000 state files). Real containers under the real shim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcessRuntime } from '../../src/runtime/process/index.js';
import { silentLogger } from '../../src/log/index.js';
import { harness, shimPath } from './process-helpers.js';

const sleeper = (name: string) => ({ name, image: 'x', command: ['sleep', '300'] });

test("listContainers(podUid) lists exactly that pod's containers, also for a new runtime (a restarted agent)", async (t) => {
  const h = await harness(t);
  const a = await h.start(sleeper('a'));
  const b1 = await h.start(sleeper('b1'), { metadata: { name: 'b-node1', namespace: 'default', uid: 'uid-b' } });
  const b2 = await h.start(sleeper('b2'), { metadata: { name: 'b-node1', namespace: 'default', uid: 'uid-b' } });
  const ids = (records: { id: string }[]) => records.map((r) => r.id).sort();

  assert.deepEqual(ids(await h.runtime.listContainers('uid-b')), [b1.record.id, b2.record.id].sort());
  assert.deepEqual(ids(await h.runtime.listContainers(a.pod.metadata!.uid!)), [a.record.id]);
  assert.deepEqual(await h.runtime.listContainers('no-such-pod'), []);
  assert.equal((await h.runtime.listContainers()).length, 3);

  // A runtime that did not start them (the agent restarted) finds them from their state once.
  const second = new ProcessRuntime({ rootDir: join(h.dir, 'root'), shimPath, logger: silentLogger, nodeIP: '192.0.2.10' });
  await second.init();
  t.after(() => second.close());
  assert.deepEqual(ids(await second.listContainers('uid-b')), [b1.record.id, b2.record.id].sort());

  // A removed container is no longer listed for its pod.
  await h.runtime.removeContainer(b1.record.id);
  assert.deepEqual(ids(await h.runtime.listContainers('uid-b')), [b2.record.id]);
  // State removed behind the runtime's back (another agent) is not listed either.
  await rm(join(h.dir, 'root', 'containers', b2.record.id), { recursive: true, force: true });
  assert.deepEqual(await h.runtime.listContainers('uid-b'), []);
});
