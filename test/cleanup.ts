// Cleanup plumbing shared by the unit tests: deferred cleanups that run even when a test fails,
// and temp folders that go away with the test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Cleanup = () => Promise<void> | void;
export interface TestLike {
  after(fn: () => Promise<void> | void): void;
}
const stacks = new WeakMap<TestLike, Cleanup[]>();

/** Registers a cleanup; a test's cleanups run last-registered first (servers stop before dirs go). */
export function defer(t: TestLike, fn: Cleanup): void {
  let stack = stacks.get(t);
  if (!stack) {
    const fresh: Cleanup[] = [];
    stacks.set(t, fresh);
    t.after(async () => {
      for (const f of fresh.reverse()) await f();
    });
    stack = fresh;
  }
  stack.push(fn);
}

/** A temp folder named berth-<label>-..., removed after the test. */
export async function tempDir(t: TestLike, label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-${label}-`));
  defer(t, () => rm(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}
