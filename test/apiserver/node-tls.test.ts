// The embedded API reaching a node API that serves HTTPS and requires credentials, as the node API
// will (and as a kubelet does): the NodeConnection's CA checks the node's certificate, and the API
// server authenticates with its client certificate, or with a bearer token. Logs, metrics and a
// proxied stream all go over that connection; a node certificate from another CA is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type { NodeConnection } from '../../src/apiserver/index.js';
import { TOKEN, call, mirrorPodBody, nodeBody, startTestServer, type TestServer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-node-tls-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, and a certificate it signs (`ext`: the extensions of the leaf). */
function ca(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
}
function leaf(name: string, signer: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}
const pem = (f: string) => readFileSync(join(dir, f), 'utf8');

const SUMMARY = JSON.stringify({
  node: { nodeName: 'my-node1', cpu: { time: '2026-12-02T06:00:00Z', usageNanoCores: 1e8, usageCoreNanoSeconds: 1 }, memory: { time: '2026-12-02T06:00:00Z', workingSetBytes: 1048576 } },
  pods: [],
});

describe('a node API over HTTPS with client certificates or a token', () => {
  let node: Server;
  let url: string;
  const seen: Array<{ path: string; clientCN: string | undefined; auth: string | undefined }> = [];

  before(async () => {
    ca('node-ca');
    ca('client-ca');
    ca('other-ca');
    leaf('node', 'node-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    leaf('apiserver', 'client-ca', 'extendedKeyUsage=clientAuth\n');
    leaf('impostor', 'other-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    // Who may call: a client certificate of client-ca, or the token. Anything else is a 401, as the node API answers.
    const allowed = (req: IncomingMessage) => {
      const s = req.socket as TLSSocket;
      const cn = s.authorized ? (s.getPeerCertificate().subject?.CN as string | undefined) : undefined;
      seen.push({ path: req.url ?? '', clientCN: cn, auth: req.headers.authorization });
      return cn === 'apiserver' || req.headers.authorization === 'Bearer node-token';
    };
    node = createServer({ cert: pem('node.crt'), key: pem('node.key'), ca: pem('client-ca.crt'), requestCert: true, rejectUnauthorized: false }, (req: IncomingMessage, res: ServerResponse) => {
      if (!allowed(req)) return void res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Unauthorized\n');
      if (req.url === '/stats/summary') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(SUMMARY);
      if (req.url?.startsWith('/containerLogs/default/p/web')) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('over tls\n');
      res.writeHead(404).end();
    });
    node.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      if (!allowed(req)) return void socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nUnauthorized\n');
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nhi');
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((r) => node.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(node.address() as AddressInfo).port}`;
  });
  after(async () => {
    node?.closeAllConnections();
    await new Promise<void>((r) => (node ? node.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function withServer(conn: NodeConnection, run: (ts: TestServer) => Promise<void>): Promise<void> {
    const ts = await startTestServer({ node: conn });
    try {
      const n = await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() });
      await call(ts, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody('p', n.json.metadata.uid) });
      await run(ts);
    } finally {
      await ts.close();
    }
  }

  function exec(ts: TestServer): Promise<{ upgraded: boolean; status?: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(new URL('/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true', ts.server.url), {
        ca: ts.server.caCertPem,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', Authorization: `Bearer ${TOKEN}` },
      });
      req.on('upgrade', (_res, socket, head) => {
        // The node's first bytes after its 101, through the proxy.
        const done = (text: string) => {
          socket.destroy();
          resolve({ upgraded: true, text });
        };
        if (head.length) return done(head.toString());
        socket.once('data', (c: Buffer) => done(c.toString()));
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ upgraded: false, status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('with the CA and a client certificate: logs, metrics and streams reach the node as the API server', async () => {
    await withServer({ url: () => url, caCertPem: pem('node-ca.crt'), clientCertPem: pem('apiserver.crt'), clientKeyPem: pem('apiserver.key') }, async (ts) => {
      const log = await call(ts, 'GET', '/api/v1/namespaces/default/pods/p/log');
      assert.equal(log.status, 200, log.text);
      assert.equal(log.text, 'over tls\n');
      const m = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
      assert.equal(m.status, 200, m.text);
      assert.equal(m.json.items[0].usage.cpu, '100000000n');
      const e = await exec(ts);
      assert.equal(e.upgraded, true, e.text);
      assert.equal(e.text, 'hi');
      assert.ok(seen.length >= 3 && seen.slice(-3).every((s) => s.clientCN === 'apiserver' && s.auth === undefined), JSON.stringify(seen));
    });
  });

  test('with a token instead of a certificate', async () => {
    await withServer({ url: () => url, caCertPem: pem('node-ca.crt'), token: 'node-token' }, async (ts) => {
      assert.equal((await call(ts, 'GET', '/api/v1/namespaces/default/pods/p/log')).text, 'over tls\n');
      assert.equal((await exec(ts)).upgraded, true);
      assert.equal(seen.at(-1)!.auth, 'Bearer node-token');
    });
  });

  test("without credentials the node's 401 comes back; a node certificate from another CA is refused", async () => {
    await withServer({ url: () => url, caCertPem: pem('node-ca.crt') }, async (ts) => {
      const log = await call(ts, 'GET', '/api/v1/namespaces/default/pods/p/log');
      assert.equal(log.status, 500);
      assert.match(log.json.message, /^reading the log failed: the node API at https:\/\/127\.0\.0\.1:\d+ refused the API server's credentials \(401\): Unauthorized; check /);
      const e = await exec(ts);
      assert.equal(e.status, 401);
      assert.equal(JSON.parse(e.text).message, 'Unauthorized');
    });
    await withServer({ url: () => url, caCertPem: pem('other-ca.crt'), token: 'node-token' }, async (ts) => {
      const m = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
      assert.equal(m.status, 503);
      assert.match(m.json.message, /^metrics are not available: the node API at https:\/\/127\.0\.0\.1:\d+ cannot be reached: .*(certificate|self.signed|issuer)/i);
      const e = await exec(ts);
      assert.equal(e.status, 502);
      assert.match(JSON.parse(e.text).message, /cannot be reached: .*(certificate|issuer)/i);
    });
  });
});
