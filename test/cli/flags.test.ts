import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/cli/duration.js';
import { UsageError } from '../../src/cli/flags.js';
import { parseRunOptions } from '../../src/cli/options.js';
import { parseManifestUrlHeader } from '../../src/sources/index.js';

const parse = (...argv: string[]) => parseRunOptions(argv, parseManifestUrlHeader);

describe('durations', () => {
  it('parses Go durations', () => {
    assert.equal(parseDuration('20s'), 20_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1.5s'), 1500);
    for (const bad of ['', '20', 's', '10 s', '5x', '-1s']) assert.equal(parseDuration(bad), undefined, bad);
  });
});

describe('berth run options', () => {
  it('has the kubelet defaults', () => {
    const o = parse('--hostname-override=My-Node');
    assert.ok(o !== 'help');
    assert.equal(o.nodeName, 'my-node');
    assert.equal(o.fileCheckFrequencyMs, 20_000);
    assert.equal(o.httpCheckFrequencyMs, 20_000);
    assert.equal(o.rootDir, '/var/lib/berth');
    assert.equal(o.podLogsDir, '/var/log/pods');
    assert.equal(o.address, '127.0.0.1');
    assert.equal(o.port, 10250);
  });

  it('--process-runtime-accept-unenforced-security is off unless given', () => {
    const off = parse();
    assert.ok(off !== 'help');
    assert.equal(off.processRuntimeAcceptUnenforcedSecurity, false);
    const on = parse('--process-runtime-accept-unenforced-security');
    assert.ok(on !== 'help');
    assert.equal(on.processRuntimeAcceptUnenforcedSecurity, true);
    assert.throws(() => parse('--process-runtime-accept-unenforced-security=maybe'), UsageError);
  });

  it('takes --flag=value and --flag value, and repeatable headers', () => {
    const o = parse('--pod-manifest-path', '/etc/kubelet.d', '--manifest-url=http://x/p', '--manifest-url-header=Authorization:Bearer x', '--manifest-url-header=a:hello,b:again');
    assert.ok(o !== 'help');
    assert.equal(o.podManifestPath, '/etc/kubelet.d');
    assert.deepEqual(o.manifestUrlHeaders, { Authorization: ['Bearer x'], a: ['hello'], b: ['again'] });
  });

  it('refuses unknown flags and bad values with UsageError (exit 2)', () => {
    for (const argv of [['--nope'], ['--port=x'], ['--port=70000'], ['--file-check-frequency=0s'], ['--manifest-url=ftp://x'], ['stray'], ['--pod-manifest-path']]) {
      assert.throws(() => parse(...argv), (e: unknown) => e instanceof UsageError && e.exitCode === 2, argv.join(' '));
    }
  });

  it('reads a KubeletConfiguration file; flags win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cfg-'));
    try {
      const file = join(dir, 'k.yaml');
      writeFileSync(
        file,
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPath: /a\nstaticPodURL: http://h/p\nstaticPodURLHeader: {X: [y]}\nfileCheckFrequency: 5s\npodLogsDir: /logs\nport: 1234\nevictionHard: {}\n',
      );
      const o = parse(`--config=${file}`, '--port=99');
      assert.ok(o !== 'help');
      assert.equal(o.podManifestPath, '/a');
      assert.equal(o.manifestUrl, 'http://h/p');
      assert.deepEqual(o.manifestUrlHeaders, { X: ['y'] });
      assert.equal(o.fileCheckFrequencyMs, 5000);
      assert.equal(o.podLogsDir, '/logs');
      assert.equal(o.port, 99);
      assert.deepEqual(o.ignoredConfigFields, ['evictionHard']);
      writeFileSync(file, 'kind: Deployment\n');
      assert.throws(() => parse(`--config=${file}`), /k\.yaml: kind/);
      writeFileSync(file, 'fileCheckFrequency: often\n');
      assert.throws(() => parse(`--config=${file}`), /fileCheckFrequency/);
      assert.throws(() => parse(`--config=${join(dir, 'missing.yaml')}`), /cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
