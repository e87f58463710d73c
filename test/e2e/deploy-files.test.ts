// The files shipped for operators stay true: the Grafana dashboard only queries series that a
// real berth's /metrics serves, and the systemd unit's ExecStart is a valid `berth run`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRunOptions } from '../../src/cli/options.js';
import { parseManifestUrlHeader } from '../../src/sources/index.js';
import { ROOT, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

describe('deploy/ files', () => {
  let ws: Workspace;
  let berth: Berth;
  before(async () => {
    ws = workspace();
    ws.write('m.yaml', shPod('m', 'sleep 3600'));
    berth = await startBerth(ws, ['--serve-api=false']);
  });
  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });

  it('every series the Grafana dashboard queries is served by /metrics', async () => {
    const dash = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const queried = new Set(exprs.flatMap((e) => e.match(/\b(berth|process)_[a-z_]+/g) ?? []));
    assert.ok(queried.size >= 5, 'the dashboard queries the agent series');
    const metrics = await waitFor(async () => {
      const body = (await berth.get('/metrics')).body;
      return /berth_pods\{phase="Running"\} 1/.test(body) ? body : undefined;
    }, 'metrics with the running pod');
    // A family is served when /metrics declares it (# TYPE), even while it has no sample.
    const served = new Set([...metrics.matchAll(/^# TYPE ([a-z_]+) /gm)].map((m) => m[1]!));
    for (const m of metrics.matchAll(/^([a-z_]+)_bucket\{/gm)) served.add(`${m[1]}_bucket`);
    for (const name of queried) assert.ok(served.has(name), `${name} (queried by the dashboard) is in /metrics`);
  });

  it("the systemd unit's ExecStart is a valid berth run command line", () => {
    const unit = readFileSync(join(ROOT, 'deploy', 'berth.service'), 'utf8');
    const exec = /^ExecStart=(\S+) run (.*)$/m.exec(unit);
    assert.ok(exec, 'ExecStart runs `berth run`');
    assert.match(exec[1]!, /\/bin\/berth$/);
    const options = parseRunOptions(exec[2]!.split(/\s+/), parseManifestUrlHeader);
    assert.ok(options !== 'help');
    assert.equal(options.podManifestPath, '/etc/kubelet.d');
    assert.match(unit, /^KillMode=process$/m, 'pods outlive an agent restart');
  });
});
