// Nothing is lost when the agent dies: after kill -9 of berth and a new start, running containers
// are adopted (same process, no restart), pods whose manifests vanished meanwhile are stopped,
// restart counts survive, and the exit code of a container that died while berth was down is known.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { containerPid, containerState, NODE, processAlive, shPod, startBerth, waitFor, workspace } from './harness.js';

describe('agent restart', () => {
  const ws = workspace();
  after(() => ws.cleanup());

  it('adopts running containers, stops vanished pods, keeps restart counts and exit codes', async () => {
    ws.write('keep.yaml', shPod('keep', 'sleep 3600'));
    ws.write('vanish.yaml', shPod('vanish', 'sleep 3600'));
    ws.write('dies.yaml', shPod('dies', `trap 'exit 7' USR1; while true; do sleep 0.1; done`));
    let berth = await startBerth(ws);
    const running = async (name: string) =>
      waitFor(async () => {
        const c = containerState(await berth.pod(`${name}-${NODE}`));
        return c?.state?.running ? c : undefined;
      }, `${name} running`);
    const keep1 = await running('keep');
    // One restart of "keep" before the crash, so there is a restart count to keep.
    process.kill(containerPid(ws.root, keep1.containerID!), 'SIGKILL');
    const keep = await waitFor(async () => {
      const c = containerState(await berth.pod(`keep-${NODE}`));
      return c?.restartCount === 1 && c.state?.running ? c : undefined;
    }, 'keep restarted once');
    const vanish = await running('vanish');
    const dies = await running('dies');
    const keepPid = containerPid(ws.root, keep.containerID!);
    const vanishPid = containerPid(ws.root, vanish.containerID!);
    const diesPid = containerPid(ws.root, dies.containerID!);

    assert.equal(await berth.stop('SIGKILL'), null);
    // While the agent is down: one manifest disappears, one container exits with code 7.
    rmSync(join(ws.manifests, 'vanish.yaml'));
    process.kill(diesPid, 'SIGUSR1');
    await waitFor(() => !processAlive(diesPid), 'dies exited');
    assert.ok(processAlive(keepPid), 'containers outlive the agent');

    berth = await startBerth(ws);
    try {
      const kept = await waitFor(async () => containerState(await berth.pod(`keep-${NODE}`)), 'keep listed');
      assert.ok(kept.state?.running, 'keep still running');
      assert.equal(containerPid(ws.root, kept.containerID!), keepPid, 'adopted, not restarted');
      assert.equal(kept.restartCount, 1, 'restart count survives');
      assert.equal(kept.containerID, keep.containerID);

      await waitFor(() => !processAlive(vanishPid), 'vanished pod stopped');
      assert.equal(await berth.pod(`vanish-${NODE}`), undefined);

      const restarted = await waitFor(async () => {
        const c = containerState(await berth.pod(`dies-${NODE}`));
        return c?.restartCount === 1 && c.state?.running ? c : undefined;
      }, 'dies restarted by the new agent');
      assert.equal(restarted.lastState?.terminated?.exitCode, 7, 'exit code of a container that died while the agent was down');

      // An adopted container's exit is noticed too.
      process.kill(keepPid, 'SIGKILL');
      const again = await waitFor(async () => {
        const c = containerState(await berth.pod(`keep-${NODE}`));
        return c?.restartCount === 2 ? c : undefined;
      }, 'adopted container restarted after it died', 30_000);
      assert.equal(again.lastState?.terminated?.exitCode, 137);
    } finally {
      await berth.stop();
    }
  });
});
