// Query decoding as kube-apiserver's parameter codec does it: booleans, int64s, RFC 3339 times,
// first-of-repeated values, and the 400 a malformed value gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boolParam, intParam, optionalBoolParam, parseRfc3339, stringsParam, timeParam } from '../../src/apiserver/query.js';
import { ApiError } from '../../src/apiserver/status.js';

const q = (s: string) => new URLSearchParams(s);

describe('query parameters', () => {
  it('booleans: true unless the first value is 0 or false in any case; absent is false', () => {
    for (const v of ['watch', 'watch=', 'watch=true', 'watch=True', 'watch=1', 'watch=maybe', 'watch=yes', 'watch=true&watch=false']) {
      assert.equal(boolParam(q(v), 'watch'), true, v);
    }
    for (const v of ['watch=false', 'watch=FALSE', 'watch=False', 'watch=0', 'watch=0&watch=1', '']) {
      assert.equal(boolParam(q(v), 'watch'), false, v);
    }
    assert.equal(optionalBoolParam(q(''), 'x'), undefined);
    assert.equal(optionalBoolParam(q('x=fAlSe'), 'x'), false);
  });

  it('integers: base 10 int64 with a sign; anything else is a 400 naming the parameter', () => {
    assert.equal(intParam(q('limit=500'), 'limit'), 500);
    assert.equal(intParam(q('limit=-1'), 'limit'), -1);
    assert.equal(intParam(q('limit=%2B7'), 'limit'), 7);
    // A raw '+' is a space in a query (as in Go's url.ParseQuery), so this is not a number.
    assert.throws(() => intParam(q('limit=+7'), 'limit'), ApiError);
    assert.equal(intParam(q('limit=2&limit=3'), 'limit'), 2);
    assert.equal(intParam(q(''), 'limit'), undefined);
    for (const bad of ['limit=', 'limit=1.5', 'limit=0x10', 'limit=ten', 'limit=%201', 'limit=9223372036854775808']) {
      assert.throws(() => intParam(q(bad), 'limit'), (e: unknown) => e instanceof ApiError && e.code === 400 && /"limit"/.test(e.message), bad);
    }
    assert.equal(intParam(q('x=9223372036854775807'), 'x'), 9223372036854775807);
  });

  it('times: RFC 3339 with an optional fraction and offset; empty or null is unset', () => {
    assert.equal(timeParam(q('t=2024-01-02T03:04:05Z'), 't')!.ms, Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(timeParam(q('t=2024-01-02T03:04:05.123456789Z'), 't')!.nanos, BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n + 123_456_789n);
    assert.equal(timeParam(q('t=2024-01-02T05:04:05%2B02:00'), 't')!.ms, Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(timeParam(q('t='), 't'), undefined);
    assert.equal(timeParam(q('t=null'), 't'), undefined);
    for (const bad of ['t=yesterday', 't=2024-01-02', 't=2024-13-02T03:04:05Z', 't=2024-01-02 03:04:05Z', 't=1704164645']) {
      assert.throws(() => timeParam(q(bad), 't'), (e: unknown) => e instanceof ApiError && e.code === 400 && /RFC 3339/.test(e.message), bad);
    }
    assert.equal(parseRfc3339('2024-01-02T03:04:05.1234567891Z'), undefined);
  });

  it('repeated values are all kept where kube keeps a list (dryRun)', () => {
    assert.deepEqual(stringsParam(q('dryRun=All&dryRun=All'), 'dryRun'), ['All', 'All']);
  });
});
