// Shutdown with open streams, and clients that misbehave at the socket level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { PassThrough } from 'node:stream';
import { TOKEN, call, mirrorPodBody, nodeBody, openWatch, startTestServer, waitFor } from './helpers.js';

test('close() ends open watches and followed logs and resolves', async () => {
  const follows: PassThrough[] = [];
  const ts = await startTestServer({
    logs: async () => {
      const s = new PassThrough();
      s.write('line\n');
      follows.push(s);
      return s;
    },
  });
  try {
    const n = await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() });
    assert.equal((await call(ts, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody('p', n.json.metadata.uid) })).status, 201);
    const w = openWatch(ts, '/api/v1/pods?watch=true');
    assert.equal(await w.status, 200);
    const logEnded = new Promise<void>((resolve, reject) => {
      const req = httpsRequest(new URL('/api/v1/namespaces/default/pods/p/log?follow=true', ts.server.url), {
        ca: ts.server.caCertPem,
        headers: { Authorization: `Bearer ${TOKEN}` },
      }, (res) => {
        res.resume();
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => reject(new Error('log stream not ended')), 20_000).unref();
    });
    await waitFor(() => follows.length === 1 && ts.server.watchers() === 1, 'the streams to be open');
    await ts.server.close();
    await w.ended;
    await logEnded;
    // The reader is on the node's side of the API's connection to it, which closes a moment after.
    await waitFor(() => follows[0]!.destroyed, 'the log reader stream to be released');
    assert.equal(ts.server.watchers(), 0);
  } finally {
    await ts.close();
  }
});

test('garbage, aborted bodies and half-open connections do not take the server down', async () => {
  const ts = await startTestServer();
  try {
    // Not HTTP at all, over TLS.
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: ts.server.port, ca: ts.server.caCertPem, servername: 'localhost' }, () => {
        s.write('\x00\x01GARBAGE\r\n\r\n');
      });
      s.on('data', () => {});
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    // A body cut off half-way, authenticated and not.
    for (const auth of [true, false]) {
      await new Promise<void>((resolve) => {
        const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Content-Length': '100000' };
        if (auth) headers['Authorization'] = `Bearer ${TOKEN}`;
        const req = httpsRequest(new URL('/api/v1/namespaces/default/pods', ts.server.url), { method: 'POST', headers, ca: ts.server.caCertPem });
        req.on('error', () => resolve());
        req.on('response', (res) => {
          res.resume();
          resolve();
        });
        req.write('{"metadata":');
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
    }
    // A raw TLS client that sends headers and goes away mid-watch.
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: ts.server.port, ca: ts.server.caCertPem, servername: 'localhost' }, () => {
        s.write(`GET /api/v1/pods?watch=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
      });
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.on('error', () => resolve());
    });
    await waitFor(() => ts.server.watchers() === 0, 'the raw watch to be released');
    const ok = await call(ts, 'GET', '/api/v1/namespaces');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.items.map((n: { metadata: { name: string } }) => n.metadata.name), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  } finally {
    await ts.close();
  }
});
