// Content negotiation for resource answers: which media type a client gets for its Accept header,
// and that whether a kind has a protobuf form is asked only when the client accepts protobuf
// (answering loads the protobuf schema, which a node whose clients all speak JSON never needs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate } from '../../src/apiserver/media/negotiate.js';

function options(hasProtobuf: boolean) {
  const asked = { count: 0 };
  return {
    asked,
    o: {
      includeObject: null,
      watch: false,
      protobuf: () => {
        asked.count++;
        return hasProtobuf;
      },
    },
  };
}

test('negotiate: JSON, YAML, no header and */* never ask whether the kind has a protobuf form', () => {
  for (const accept of [undefined, '', 'application/json', '*/*', 'application/yaml', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json']) {
    const { asked, o } = options(true);
    const n = negotiate(accept, o);
    assert.notEqual(n.media, 'protobuf', String(accept));
    assert.equal(asked.count, 0, `Accept ${String(accept)} asked about protobuf`);
  }
});

test('negotiate: protobuf first is served as protobuf when the kind has one, else the next choice, else 406', () => {
  const kubectl = 'application/vnd.kubernetes.protobuf,application/json';
  const yes = options(true);
  assert.equal(negotiate(kubectl, yes.o).media, 'protobuf');
  assert.equal(yes.asked.count, 1);
  const no = options(false);
  assert.equal(negotiate(kubectl, no.o).media, 'json');
  assert.throws(() => negotiate('application/vnd.kubernetes.protobuf', options(false).o), (err: { code?: number }) => err.code === 406);
});
