import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrashLoopBackoff } from '../../src/workers/backoff.js';

describe('CrashLoopBackoff', () => {
  it('restarts at once first, then 10s doubling up to 300s', () => {
    const b = new CrashLoopBackoff();
    const delays = Array.from({ length: 9 }, () => b.nextDelay(1000) / 1000);
    assert.deepEqual(delays, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('starts over after a container ran 10 minutes without crashing', () => {
    const b = new CrashLoopBackoff();
    b.nextDelay(0);
    b.nextDelay(0);
    assert.equal(b.nextDelay(0), 20_000);
    assert.equal(b.nextDelay(600_000), 0);
    assert.equal(b.nextDelay(5), 10_000);
  });
});
