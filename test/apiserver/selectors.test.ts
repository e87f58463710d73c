import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, parseLabelSelector } from '../../src/apiserver/selectors.js';
import { ApiError } from '../../src/apiserver/status.js';

const web = { app: 'web', tier: 'front', version: '3' };
const db = { app: 'db' };

function sel(s: string) {
  const p = parseLabelSelector(s);
  return [web, db, undefined].map((l) => p.matches(l));
}

test('label selector operators', () => {
  assert.deepEqual(sel(''), [true, true, true]);
  assert.deepEqual(sel('app=web'), [true, false, false]);
  assert.deepEqual(sel('app==web'), [true, false, false]);
  assert.deepEqual(sel('app!=web'), [false, true, true], '!= matches objects without the label');
  assert.deepEqual(sel('app in (web, db)'), [true, true, false]);
  assert.deepEqual(sel('app notin (web)'), [false, true, true]);
  assert.deepEqual(sel('tier'), [true, false, false]);
  assert.deepEqual(sel('!tier'), [false, true, true]);
  assert.deepEqual(sel('app=web,tier=front'), [true, false, false]);
  assert.deepEqual(sel(' app = web , !missing '), [true, false, false]);
  assert.deepEqual(sel('version>2'), [true, false, false]);
  assert.deepEqual(sel('version<2'), [false, false, false]);
  assert.deepEqual(sel('app='), [false, false, false], 'empty value matches only an empty label');
  assert.deepEqual(parseLabelSelector('example.com/role=x').matches({ 'example.com/role': 'x' }), true);
});

test('invalid label selectors throw a 400 ApiError naming the selector', () => {
  for (const s of ['a b', 'app in (web', 'app in web', '=x', 'app=web,', '-bad=x', 'app=va lue', 'x>y', `k=${'v'.repeat(64)}`, 'UPPER.com/x=y']) {
    assert.throws(
      () => parseLabelSelector(s),
      (e: unknown) => e instanceof ApiError && e.code === 400 && e.reason === 'BadRequest' && e.message.includes('label selector'),
      s,
    );
  }
});

test('field selectors: =, ==, !=, escapes, unsupported fields', () => {
  const fields = ['metadata.name', 'status.phase', 'involvedObject.namespace'];
  const obj: Record<string, string> = { 'metadata.name': 'a,b', 'status.phase': 'Running', 'involvedObject.namespace': '' };
  const get = (f: string) => obj[f] ?? '';
  assert.equal(parseFieldSelector('', fields).matches(get), true);
  assert.equal(parseFieldSelector('status.phase=Running', fields).matches(get), true);
  assert.equal(parseFieldSelector('status.phase==Running', fields).matches(get), true);
  assert.equal(parseFieldSelector('status.phase!=Running', fields).matches(get), false);
  assert.equal(parseFieldSelector('status.phase!=Succeeded,status.phase!=Failed', fields).matches(get), true);
  assert.equal(parseFieldSelector('metadata.name=a\\,b', fields).matches(get), true);
  assert.equal(parseFieldSelector('involvedObject.namespace=', fields).matches(get), true, 'empty value matches an absent field');
  for (const bad of ['spec.image=x', 'novalue', 'status.phase=Running,,x=y']) {
    assert.throws(() => parseFieldSelector(bad, fields), (e: unknown) => e instanceof ApiError && e.code === 400, bad);
  }
});
