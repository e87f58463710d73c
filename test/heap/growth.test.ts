// The heap growth bound follows what survives real full collections (forced here with gc()).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundHeapGrowthWhenLarge } from '../../src/heap/index.js';
import { gc } from '../gc.js';

async function fullGcSeen(): Promise<void> {
  gc();
  // The observer hears of the collection asynchronously.
  await new Promise((r) => setTimeout(r, 50));
}

test('bounded while more than 24 MB survive a full collection, unbounded again below 18 MB', async () => {
  const control = boundHeapGrowthWhenLarge();
  try {
    await fullGcSeen();
    assert.equal(control.bounded, false, 'a test process holds far less than 24 MB');
    let hold: string[] | undefined = Array.from({ length: 400_000 }, (_, i) => `live string number ${i} `.repeat(2));
    await fullGcSeen();
    assert.equal(control.bounded, true, `holding ${hold.length} strings (well over 24 MB)`);
    hold = undefined;
    await fullGcSeen();
    assert.equal(control.bounded, false, 'released');
  } finally {
    control.stop();
  }
});

test('hysteresis: between 18 and 24 MB the current state holds', () => {
  const control = boundHeapGrowthWhenLarge();
  try {
    const mb = (n: number) => n * 1048576;
    control.afterFullGc(mb(20));
    assert.equal(control.bounded, false);
    control.afterFullGc(mb(25));
    assert.equal(control.bounded, true);
    control.afterFullGc(mb(20));
    assert.equal(control.bounded, true, 'stays bounded above 18 MB');
    control.afterFullGc(mb(17));
    assert.equal(control.bounded, false);
    control.afterFullGc(mb(30));
    control.stop();
    assert.equal(control.bounded, false, 'stop() puts V8 back to its own heuristics');
  } finally {
    control.stop();
  }
});
