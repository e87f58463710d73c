// Termination messages and OOMKilled on the real engines (containerd over the CRI, Docker and
// Podman over the Engine API): the file at terminationMessagePath, FallbackToLogsOnError, and a
// container over its memory limit. Outside CI a missing engine skips its suite; with CI=true it fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container } from 'kubernetes-types/core/v1';
import type { ContainerRecord, Runtime } from '../../src/runtime/types.js';
import { BUSYBOX } from './cri-harness.js';
import { engineSuites, type EngineHarness } from './engine-suites.js';


async function exited(runtime: Runtime, id: string): Promise<ContainerRecord> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const record = (await runtime.listContainers()).find((c) => c.id === id);
    if (record?.state === 'exited') return record;
    assert.ok(Date.now() < deadline, `container ${id} did not exit in time (${record?.state})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sh = (script: string, extra: Partial<Container> = {}): Container => ({ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ...extra });

const suites = await engineSuites('term');

for (const suite of suites) {
  describe(`termination messages and OOMKilled on ${suite.name}`, { skip: suite.skip }, () => {
    let h: EngineHarness;
    before(async () => {
      h = await suite.make();
    });
    after(() => h?.cleanup());

    test('what the container writes to /dev/termination-log is the message', async () => {
      const started = await h.start(sh('printf "all done\\n" > /dev/termination-log; exit 0'));
      const record = await exited(h.runtime, started.id);
      assert.equal(record.exitCode, 0);
      assert.equal(record.message, 'all done\n');
    });

    test('a custom terminationMessagePath written by a non-root user; only the last 4096 bytes are kept', async () => {
      const started = await h.start(
        sh('head -c 5000 /dev/zero | tr "\\0" x > /tmp/why; printf END >> /tmp/why; exit 4', { terminationMessagePath: '/tmp/why', securityContext: { runAsUser: 1234 } }),
      );
      const record = await exited(h.runtime, started.id);
      assert.equal(record.exitCode, 4);
      assert.equal(record.message?.length, 4096);
      assert.ok(record.message?.endsWith('xxEND'));
    });

    test('FallbackToLogsOnError takes the log tail when the file is empty and the exit is an error', async () => {
      const failing = await h.start(sh('echo starting; sleep 0.2; echo "boom: no config" >&2; exit 2', { terminationMessagePolicy: 'FallbackToLogsOnError' }));
      const record = await exited(h.runtime, failing.id);
      assert.equal(record.exitCode, 2);
      assert.equal(record.message, 'starting\nboom: no config\n');
      const fine = await h.start(sh('echo only logs; exit 0', { terminationMessagePolicy: 'FallbackToLogsOnError' }));
      const ok = await exited(h.runtime, fine.id);
      assert.equal(ok.exitCode, 0);
      assert.equal(ok.message, undefined);
    });

    test('a container over its memory limit is OOMKilled with exit code 137', async () => {
      const started = await h.start(
        sh('echo filling; exec dd if=/dev/zero of=/dev/null bs=64M count=1', { resources: { limits: { memory: '8Mi' } } }),
      );
      const record = await exited(h.runtime, started.id);
      assert.equal(record.exitCode, 137);
      assert.equal(record.reason, 'OOMKilled');
    });
  });
}
