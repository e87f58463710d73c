import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerLogManager, type DroppedOutput, type LoggedContainer } from '../../src/logs/index.js';
import { createLogger } from '../../src/log/index.js';
import { tempDir } from '../cleanup.js';

function capture() {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  const logger = createLogger({ level: 'info', json: true, write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown> & { msg: string }) });
  return { lines, logger };
}

describe('ContainerLogManager', () => {
  it('says once that output is dropped, counts it, and says when writing works again', async (t) => {
    const dir = await tempDir(t, 'logman');
    const c: LoggedContainer = { id: 'c1', logPath: join(dir, '0.log'), pod: 'web', container: 'main' };
    await writeFile(c.logPath, '');
    let dropped: DroppedOutput = { lines: 0, bytes: 0, failing: false };
    const { lines, logger } = capture();
    const m = new ContainerLogManager({ policy: { maxSizeBytes: 1 << 20, maxFiles: 3 }, monitorIntervalMs: 3000, runtime: { droppedLogOutput: async () => dropped }, containers: () => [c], logger });
    await m.runPass();
    dropped = { lines: 10, bytes: 500, failing: true };
    await m.runPass();
    dropped = { lines: 25, bytes: 1200, failing: true };
    await m.runPass();
    await m.runPass(); // still failing, nothing new printed: not "recovered" either
    const said = lines.filter((l) => l.msg.startsWith('container output is being dropped'));
    assert.equal(said.length, 1);
    assert.equal(said[0]!.container, 'main');
    assert.equal(m.droppedLines, 25);
    assert.equal(lines.filter((l) => l.msg === 'container output is written to its log again').length, 0);
    dropped = { lines: 25, bytes: 1200, failing: false };
    await m.runPass();
    const back = lines.filter((l) => l.msg === 'container output is written to its log again');
    assert.equal(back.length, 1);
    assert.equal(back[0]!.droppedLines, 25);
  });

  it('rotates through the runtime when it reopens on request, and logs a failed reopen without throwing', async (t) => {
    const dir = await tempDir(t, 'logman');
    const c: LoggedContainer = { id: 'c1', logPath: join(dir, '0.log'), pod: 'web', container: 'main' };
    await writeFile(c.logPath, 'x'.repeat(2000));
    const reopened: string[] = [];
    let fail = true;
    const { lines, logger } = capture();
    const runtime = {
      reopenContainerLog: async (id: string) => {
        if (fail) throw new Error('container "c1" not found');
        reopened.push(id);
        await writeFile(c.logPath, '');
      },
    };
    const m = new ContainerLogManager({ policy: { maxSizeBytes: 1000, maxFiles: 3 }, monitorIntervalMs: 3000, runtime, containers: () => [c], logger });
    await m.runPass();
    assert.match(String(lines.find((l) => l.msg.startsWith('container log rotation failed'))?.err), /not found/);
    assert.deepEqual(await readdir(dir), ['0.log']);
    fail = false;
    await m.runPass();
    assert.deepEqual(reopened, ['c1']);
    assert.equal((await readdir(dir)).length, 2);
  });
});
