// The node API lets no one in without credentials (issue 8, "Node API security"): a real agent,
// real HTTPS, real curl and real client certificates made with openssl. Every refused request is
// also shown to run nothing: a POST /run that would create a marker file leaves none.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { Agent as HttpAgent, get as httpGet } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { BERTH, freePort, NODE, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';
import { nodeRequest, nodeToken } from './node-api.js';

const NOBODY = 65534;

/** A CA and a client certificate for `cn` (groups `orgs`), valid `days` (negative: already expired). */
function clientCert(dir: string, name: string, cn: string, o: { orgs?: string[]; days?: number; ca?: { cert: string; key: string } } = {}) {
  mkdirSync(dir, { recursive: true });
  const ca = o.ca ?? { cert: join(dir, `${name}-ca.crt`), key: join(dir, `${name}-ca.key`) };
  if (!o.ca) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ca.key, '-out', ca.cert, '-subj', `/CN=${name}-ca`, '-days', '30'], { stdio: 'ignore' });
  }
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const subject = [...(o.orgs ?? []).map((g) => `/O=${g}`), `/CN=${cn}`].join('');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', String(o.days ?? 30), '-out', cert], { stdio: 'ignore' });
  return { ca, cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** Sends raw bytes to the port and returns all it answers (for plain HTTP on the HTTPS port). */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (got += d));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(30_000, () => s.destroy(new Error('the node API did not answer plain HTTP within 30 s')));
  });
}

describe('node API: HTTPS, authentication, authorization (standalone)', () => {
  let ws: Workspace;
  let berth: Berth;
  let certs: string;
  const pod = `sleeper-${NODE}`;

  before(async () => {
    ws = workspace();
    certs = join(ws.dir, 'certs');
    clientCert(certs, 'trusted', 'alice');
    ws.write('sleeper.json', shPod('sleeper', 'sleep 3600'));
    berth = await startBerth(ws, [`--client-ca-file=${join(certs, 'trusted-ca.crt')}`]);
    await waitFor(async () => (await berth.pod(pod))?.status?.phase === 'Running', 'sleeper Running', 60_000);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });

  const runPath = (marker: string) => `/run/default/${pod}/main?cmd=${encodeURIComponent(`touch ${marker}`)}`;

  it('the start-up summary names the https endpoint', () => {
    const ready = berth.logs.find((l) => l.msg === 'berth is running')!;
    assert.equal(ready.endpoints, `https://127.0.0.1:${berth.port}`);
  });

  it('no credentials, a wrong token, a cert from another CA, an expired cert: 401 saying how, and nothing runs', async () => {
    const foreign = clientCert(certs, 'foreign', 'mallory');
    const expired = clientCert(certs, 'expired', 'alice', { days: -1, ca: { cert: join(certs, 'trusted-ca.crt'), key: join(certs, 'trusted-ca.key') } });
    const tries: Array<[string, Parameters<typeof nodeRequest>[3]]> = [
      ['none', { token: null }],
      ['wrong-token', { token: 'not-the-token' }],
      ['foreign-cert', { token: null, cert: foreign.cert, key: foreign.key }],
      ['expired-cert', { token: null, cert: expired.cert, key: expired.key }],
      ['malformed-header', { token: null, headers: { Authorization: 'Basic YWxpY2U6eA==' } }],
    ];
    for (const [name, opts] of tries) {
      const marker = join(ws.dir, `ran-${name}`);
      const r = await nodeRequest(ws.root, berth.port, runPath(marker), { ...opts, method: 'POST' });
      assert.equal(r.status, 401, `${name}: ${r.body}`);
      assert.match(r.body, /^Unauthorized: /, name);
      assert.ok(r.body.includes(`-H "Authorization: Bearer $(cat ${join(ws.root, 'api', 'token')})"`), `${name}: the 401 says how: ${r.body}`);
      assert.ok(!existsSync(marker), `${name}: nothing ran`);
      assert.equal((await nodeRequest(ws.root, berth.port, '/pods', opts)).status, 401, `${name}: /pods`);
    }
    assert.match((await nodeRequest(ws.root, berth.port, '/pods', tries[3]![1])).body, /certificate has expired|CERT_HAS_EXPIRED/i);
  });

  it('the node token and a certificate from --client-ca-file are let in; /run runs the command', async () => {
    const marker = join(ws.dir, 'ran-with-token');
    const r = await nodeRequest(ws.root, berth.port, runPath(marker), { method: 'POST' });
    assert.equal(r.status, 200, r.body);
    await waitFor(() => existsSync(marker), 'the marker made by /run');
    const alice = clientCert(certs, 'alice2', 'alice', { ca: { cert: join(certs, 'trusted-ca.crt'), key: join(certs, 'trusted-ca.key') } });
    const pods = await nodeRequest(ws.root, berth.port, '/pods', { token: null, cert: alice.cert, key: alice.key });
    assert.equal(pods.status, 200, pods.body);
    assert.ok(JSON.parse(pods.body).items.some((p: { metadata: { name: string } }) => p.metadata.name === pod));
    const echo = await nodeRequest(ws.root, berth.port, `/run/default/${pod}/main?cmd=echo+hello+node`, { method: 'POST' });
    assert.equal(echo.body, 'hello node\n');
    const failing = await nodeRequest(ws.root, berth.port, `/run/default/${pod}/main?cmd=false`, { method: 'POST' });
    assert.equal(failing.status, 500);
    assert.match(failing.body, /command terminated with exit code 1/);
    assert.equal((await nodeRequest(ws.root, berth.port, `/run/default/${pod}/main?cmd=echo`)).status, 405, '/run is POST only');
  });

  it('/stats/summary and /metrics/resource answer in their formats, behind the same credentials', async () => {
    const stats = await nodeRequest(ws.root, berth.port, '/stats/summary');
    assert.equal(stats.status, 200, stats.body);
    assert.match(String(stats.headers['content-type']), /^application\/json/);
    assert.equal(typeof JSON.parse(stats.body), 'object');
    const resource = await nodeRequest(ws.root, berth.port, '/metrics/resource');
    assert.equal(resource.status, 200);
    assert.match(String(resource.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const path of ['/stats/summary', '/metrics/resource', '/metrics']) assert.equal((await nodeRequest(ws.root, berth.port, path, { token: null })).status, 401, path);
    assert.equal((await nodeRequest(ws.root, berth.port, '/pods', { method: 'DELETE' })).status, 405);
  });

  it('an idle connection is kept open as the kubelet keeps it (90 s), so a scraper does not pay a TLS handshake each time', async () => {
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await nodeRequest(ws.root, berth.port, '/metrics/resource', { agent })).status, 200);
      // Node's default would have closed it after 5 s.
      await sleep(6500);
      const again = await nodeRequest(ws.root, berth.port, '/metrics/resource', { agent });
      assert.equal(again.status, 200);
      assert.equal(again.reusedSocket, true, 'the second scrape had to open a new connection');
    } finally {
      agent.destroy();
    }
  });

  it('curl with the token file works as the README says; /healthz needs nothing', () => {
    const url = `https://127.0.0.1:${berth.port}`;
    const ca = join(ws.root, 'pki', 'kubelet.crt');
    const token = join(ws.root, 'api', 'token');
    const out = execFileSync('sh', ['-c', `curl -sS --cacert ${ca} -H "Authorization: Bearer $(cat ${token})" ${url}/pods`], { encoding: 'utf8' });
    assert.equal(JSON.parse(out).kind, 'PodList');
    assert.equal(execFileSync('curl', ['-sS', '--cacert', ca, `${url}/healthz`], { encoding: 'utf8' }), 'ok');
    const refused = execFileSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', ca, `${url}/metrics`], { encoding: 'utf8' });
    assert.equal(refused, '401');
  });

  it('plain HTTP to the port: kube\'s 400 text and a line naming the new way; no request hangs', async () => {
    const answer = await rawExchange(berth.port, 'GET /pods HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.0 400 Bad Request/);
    assert.ok(answer.includes('\r\n\r\nClient sent an HTTP request to an HTTPS server.\n'), answer);
    assert.match(answer, /HTTPS with authentication; .*curl --cacert .*kubelet\.crt -H "Authorization: Bearer \$\(cat .*api\/token\)" https:\/\/127\.0\.0\.1:\d+\/pods/);
    const viaFetch = await fetch(`http://127.0.0.1:${berth.port}/pods`);
    assert.equal(viaFetch.status, 400, 'the old plain-HTTP way fails with a 400');
    assert.match(await viaFetch.text(), /Client sent an HTTP request to an HTTPS server\.\nThe node API speaks HTTPS/);
  });

  it('a path with .. or an encoded slash is refused (400), unknown paths are 404, streaming paths need an upgrade', async () => {
    for (const path of [`/containerLogs/default/../../pods`, `/containerLogs/default/${pod}/..%2F..%2Fetc%2Fpasswd`, `/exec/default/a%2Fb/main?command=ls`, '/run/default/x/%2e%2e?cmd=ls']) {
      const r = await nodeRequest(ws.root, berth.port, path, { method: path.startsWith('/run') ? 'POST' : 'GET' });
      assert.equal(r.status, 400, `${path}: ${r.body}`);
    }
    assert.equal((await nodeRequest(ws.root, berth.port, '/nope')).status, 404);
    const exec = await nodeRequest(ws.root, berth.port, `/exec/default/${pod}/main?command=ls&output=1`);
    assert.equal(exec.status, 400);
    assert.match(exec.body, /streaming endpoint: the request must ask for an upgrade/);
    const missing = await nodeRequest(ws.root, berth.port, `/exec/default/nope/main?command=ls&output=1`, { headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } });
    assert.equal(missing.status, 404, 'a refusal before the upgrade is plain HTTP');
    assert.match(missing.body, /pod "nope" not found/);
    const anonymousUpgrade = await nodeRequest(ws.root, berth.port, `/exec/default/${pod}/main?command=ls&output=1`, { token: null, headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
    assert.equal(anonymousUpgrade.status, 401, 'upgrades are authenticated too');
  });

  it('the token file is 0600 and nobody cannot read it', () => {
    const token = join(ws.root, 'api', 'token');
    assert.equal(statSync(token).mode & 0o777, 0o600);
    const asNobody = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'cat', token], { encoding: 'utf8' });
    assert.notEqual(asNobody.status, 0, 'nobody cannot read the token');
    assert.match(asNobody.stderr, /Permission denied/);
  });
});

describe('node API: anonymous, read-only port, --serve-api=false', () => {
  let ws: Workspace;
  let berth: Berth;
  let readOnly: number;

  before(async () => {
    ws = workspace();
    readOnly = await freePort();
    ws.write(
      'env.json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'env' },
        spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], env: [{ name: 'SECRET', value: 'hunter2' }] }] },
      }),
    );
    berth = await startBerth(ws, ['--anonymous-auth=true', '--address=0.0.0.0', `--read-only-port=${readOnly}`, '--serve-api=false']);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });

  it('--serve-api=false still makes the token (0600) and it opens the node API', async () => {
    assert.equal(statSync(join(ws.root, 'api', 'token')).mode & 0o777, 0o600);
    assert.ok(nodeToken(ws.root).length >= 32);
    assert.equal((await berth.get('/pods')).status, 200);
  });

  it('anonymous is authenticated and then denied standalone (403); exposing it warns', async () => {
    const r = await nodeRequest(ws.root, berth.port, '/pods', { token: null });
    assert.equal(r.status, 403, r.body);
    assert.match(r.body, /^Forbidden \(user=system:anonymous, verb=get, resource=nodes, subresource=proxy\)/);
    assert.ok(berth.logs.some((l) => l.level === 'warn' && /--anonymous-auth=true on 0\.0\.0\.0/.test(String(l.msg))));
  });

  it('the read-only port serves /healthz, /metrics and /pods without env values, nothing else; exposing it warns', async () => {
    const base = `http://127.0.0.1:${readOnly}`;
    const pods = await waitFor(async () => {
      const list = (await (await fetch(`${base}/pods`)).json()) as { items: Array<{ spec: { containers: Array<{ env?: Array<Record<string, string>> }> } }> };
      return list.items.length ? list : undefined;
    }, 'the pod on the read-only port', 60_000);
    assert.deepEqual(pods.items[0]!.spec.containers[0]!.env, [{ name: 'SECRET' }]);
    assert.ok(!JSON.stringify(pods).includes('hunter2'));
    assert.equal(await (await fetch(`${base}/healthz`)).text(), 'ok');
    assert.match(await (await fetch(`${base}/metrics`)).text(), /berth_pods/);
    for (const path of [`/exec/default/env-${NODE}/main?command=ls`, `/containerLogs/default/env-${NODE}/main`, '/stats/summary']) {
      assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    }
    assert.ok(berth.logs.some((l) => l.level === 'warn' && /--read-only-port \d+ on 0\.0\.0\.0/.test(String(l.msg))));
    const authenticated = JSON.parse((await berth.get('/pods')).body);
    assert.ok(JSON.stringify(authenticated).includes('hunter2'), 'the authenticated port shows the full pod');
  });

  it('the read-only port keeps an idle connection as the kubelet does (90 s), not 5 s', async () => {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const scrape = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = httpGet({ host: '127.0.0.1', port: readOnly, path: '/metrics', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
    try {
      assert.deepEqual(await scrape(), { status: 200, reused: false });
      // Node's default would have closed it after 5 s.
      await sleep(6500);
      assert.deepEqual(await scrape(), { status: 200, reused: true }, 'the second scrape had to open a new connection');
    } finally {
      agent.destroy();
    }
  });
});

describe('node API: --tls-cert-file/--tls-private-key-file', () => {
  let ws: Workspace;

  before(() => {
    ws = workspace();
  });

  after(async () => {
    await ws?.cleanup();
  });

  it('serves the given certificate', async () => {
    const cert = join(ws.dir, 'own.crt');
    const key = join(ws.dir, 'own.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=own', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '30'], { stdio: 'ignore' });
    const berth = await startBerth(ws, [`--tls-cert-file=${cert}`, `--tls-private-key-file=${key}`], { manifests: false });
    try {
      const r = await nodeRequest(ws.root, berth.port, '/pods', { ca: readFileSync(cert, 'utf8') });
      assert.equal(r.status, 200, r.body);
      const plain = await rawExchange(berth.port, 'GET / HTTP/1.1\r\n\r\n');
      assert.ok(plain.includes(`--cacert ${cert}`), `the hint names the certificate to pin: ${plain}`);
    } finally {
      await berth.stop();
    }
  });

  it('a certificate file that cannot be used stops the start, naming the flag', () => {
    const r = spawnSync(process.execPath, [BERTH, 'run', `--root-dir=${ws.root}`, `--pod-logs-dir=${ws.logs}`, '--port=0', '--api-port=0', `--tls-cert-file=${join(ws.dir, 'missing.crt')}`, `--tls-private-key-file=${join(ws.dir, 'missing.key')}`], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--tls-cert-file \S+missing\.crt cannot be used: .*no such file/i);
  });
});
