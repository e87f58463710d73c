// `berth run` as an ordinary user: the state goes under $XDG_STATE_HOME/berth (or
// ~/.local/state/berth), the logs under pods/ in it, free ports are picked, the start says which,
// and the pods run under the process runtime.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runDefaults } from '../../src/cli/options.js';
import { BERTH, killContainers, waitFor } from './harness.js';
import { nodeRequest } from './node-api.js';

const NOBODY = 65534;

describe('rootless defaults', () => {
  it('are the kubelet paths for root and XDG state paths with free ports for anyone else', () => {
    assert.deepEqual(runDefaults(0, {}, '/root'), { rootless: false, rootDir: '/var/lib/berth', podLogsDir: '/var/log/pods', port: 10250, apiPort: 6443 });
    assert.deepEqual(runDefaults(1000, { XDG_STATE_HOME: '/x/state' }, '/home/a'), { rootless: true, rootDir: '/x/state/berth', podLogsDir: '/x/state/berth/pods', port: 0, apiPort: 0 });
    assert.equal(runDefaults(1000, { XDG_STATE_HOME: 'relative' }, '/home/a').rootDir, '/home/a/.local/state/berth', 'a relative XDG_STATE_HOME is ignored, as the spec says');
  });

  it('berth run as nobody starts its pods with state under ~/.local/state/berth and says where', async () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-rootless-'));
    chmodSync(home, 0o755);
    const manifests = join(home, 'manifests');
    mkdirSync(manifests);
    writeFileSync(manifests + '/w.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } }));
    for (const p of [home, manifests, join(manifests, 'w.yaml')]) chownSync(p, NOBODY, NOBODY);
    const state = join(home, '.local', 'state', 'berth');
    const proc = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BERTH, 'run', `--pod-manifest-path=${manifests}`, '--hostname-override=rootless1'], {
      cwd: '/',
      env: { ...process.env, HOME: home, XDG_STATE_HOME: '', BERTH_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      const summary = await waitFor(() => err.split('\n').map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return undefined; } }).find((l) => l?.msg === 'berth is running'), 'berth is running', 30_000);
      assert.equal(summary.rootDir, state);
      assert.equal(summary.podLogsDir, join(state, 'pods'));
      const port = Number(String(summary.endpoints).split(':').pop());
      assert.ok(port > 0 && port !== 10250, `a free port was picked (${port})`);
      assert.match(String(summary.api), /^https:\/\/127\.0\.0\.1:\d+$/);
      await waitFor(async () => {
        const pods = JSON.parse((await nodeRequest(state, port, '/pods')).body) as { items: Array<{ status?: { containerStatuses?: Array<{ state?: { running?: unknown } }> } }> };
        return pods.items[0]?.status?.containerStatuses?.[0]?.state?.running;
      }, 'the pod runs as nobody');
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      killContainers(state);
      rmSync(home, { recursive: true, force: true });
    }
  });
});
