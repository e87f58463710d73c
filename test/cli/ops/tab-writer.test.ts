// kubectl describe's alignment: consecutive key/value lines align, a line without a value ends the block.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignTabs } from '../../../src/cli/ops/tab-writer.js';
import { formatTable } from '../../../src/cli/ops/table.js';

describe('alignTabs', () => {
  it('pads each block of tabbed lines to its widest key plus two', () => {
    assert.equal(alignTabs('Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t10.0.0.1\n'), 'Name:       web\nNamespace:  default\nIPs:\n  IP:  10.0.0.1\n');
  });
  it('aligns several columns (an events table)', () => {
    assert.equal(alignTabs('  Type\tReason\tAge\n  Normal\tStarted\t5s'), '  Type    Reason   Age\n  Normal  Started  5s');
  });
});

describe('formatTable', () => {
  it('separates columns by three spaces and does not pad the last', () => {
    assert.equal(formatTable(['NAME', 'AGE'], [['web-n1', '5s'], ['a', '10m']]), 'NAME     AGE\nweb-n1   5s\na        10m\n');
  });
});
