import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriLogDecoder } from '../../src/server/cri-log.js';

describe('CRI log decoding', () => {
  it('prints the text of full lines and joins partial ones', () => {
    const d = new CriLogDecoder(false);
    const out = d.push('2024-01-01T00:00:00.1Z stdout F hello\n2024-01-01T00:00:00.2Z stderr P par') + d.push('t1\n2024-01-01T00:00:00.3Z stderr F -end\n');
    assert.equal(out, 'hello\npart1-end\n');
  });

  it('keeps the first timestamp of a joined line when asked for timestamps', () => {
    const d = new CriLogDecoder(true);
    assert.equal(d.push('T1 stdout P a\nT2 stdout F b\nT3 stdout F \n'), 'T1 ab\nT3 \n');
  });
});
