// Issue 10 part 2: nothing of a removed pod stays on disk — its container state folders under
// --root-dir, its log folder under --pod-logs-dir — neither after a normal removal nor when it was
// removed while the agent was down, nor for folders a killed agent left half done. Other files in
// those folders are not touched. Process runtime, real agent.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NODE, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

describe('issue 10: state folders of removed pods are cleaned up', () => {
  let ws: Workspace;
  let berth: Berth | undefined;
  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });
  const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const running = async (name: string) => (await berth!.pod(`${name}-${NODE}`))?.status?.phase === 'Running';

  it('a removed pod leaves nothing; after a restart neither do pods removed while it was down', async () => {
    ws = workspace();
    berth = await startBerth(ws, ['--serve-api=false']);
    ws.write('a.yaml', shPod('a', 'echo hi; sleep 3600'));
    ws.write('crash.yaml', shPod('crash', 'echo bye; exit 1'));
    await waitFor(() => running('a'), 'a runs', 60_000);
    await waitFor(async () => ((await berth!.pod(`crash-${NODE}`))?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 'crash restarted', 60_000);
    assert.equal(ls(ws.logs).length, 2);

    rmSync(join(ws.manifests, 'a.yaml'));
    rmSync(join(ws.manifests, 'crash.yaml'));
    await waitFor(async () => (await berth!.pods()).length === 0, 'both pods gone', 60_000);
    await waitFor(() => ls(join(ws.root, 'containers')).length === 0 && ls(ws.logs).length === 0, 'no container state or log folder left', 30_000);

    // A pod removed while the agent is down, plus what a killed agent can leave: the log folder
    // and the pods/<uid> folder of a pod with no container left. And an operator's own file.
    ws.write('b.yaml', shPod('b', 'sleep 3600'));
    await waitFor(() => running('b'), 'b runs', 60_000);
    assert.equal(await berth.stop('SIGKILL'), null);
    berth = undefined;
    rmSync(join(ws.manifests, 'b.yaml'));
    const ghostUid = '0123456789abcdef0123456789abcdef';
    mkdirSync(join(ws.logs, `default_ghost-${NODE}_${ghostUid}`, 'main'), { recursive: true });
    mkdirSync(join(ws.root, 'pods', ghostUid, 'volumes'), { recursive: true });
    writeFileSync(join(ws.logs, 'NOTES.txt'), 'not a pod folder\n');

    ws.write('c.yaml', shPod('c', 'sleep 3600'));
    berth = await startBerth(ws, ['--serve-api=false']);
    await waitFor(() => running('c'), 'c runs after the restart', 60_000);
    const cUid = (await berth.pod(`c-${NODE}`))!.metadata!.uid!;
    await waitFor(() => ls(ws.logs).length === 2, 'only c and the operator file in the logs folder', 30_000);
    assert.deepEqual(ls(ws.logs), [`default_c-${NODE}_${cUid}`, 'NOTES.txt'].sort());
    assert.deepEqual(ls(join(ws.root, 'pods')), []);
    await waitFor(() => ls(join(ws.root, 'containers')).length === 1, "only c's container state folder", 30_000);
  });
});
