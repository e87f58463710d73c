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

describe('container log rotation options', () => {
  it('default to the kubelet\'s 10Mi and 5 files, and take flags over the config file', () => {
    const d = parse();
    assert.ok(d !== 'help');
    assert.deepEqual(d.containerLogRotation, { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 });
    assert.equal(d.containerLogMonitorIntervalMs, 10_000);
    const dir = mkdtempSync(join(tmpdir(), 'berth-cfg-'));
    try {
      const cfg = join(dir, 'config.yaml');
      writeFileSync(cfg, 'kind: KubeletConfiguration\ncontainerLogMaxSize: 500Ki\ncontainerLogMaxFiles: 3\ncontainerLogMonitorInterval: 5s\n');
      const f = parse(`--config=${cfg}`);
      assert.ok(f !== 'help');
      assert.deepEqual(f.containerLogRotation, { maxSizeBytes: 500 * 1024, maxFiles: 3 });
      assert.equal(f.containerLogMonitorIntervalMs, 5000);
      const both = parse(`--config=${cfg}`, '--container-log-max-size=1M', '--container-log-max-files=2');
      assert.ok(both !== 'help');
      assert.deepEqual(both.containerLogRotation, { maxSizeBytes: 1_000_000, maxFiles: 2 });
      for (const [text, message] of [
        ['containerLogMaxSize: lots\n', /containerLogMaxSize: invalid value "lots": expected a size such as "10Mi"/],
        ['containerLogMaxFiles: 1\n', /containerLogMaxFiles: invalid value 1: expected a whole number of at least 2/],
        ['containerLogMonitorInterval: 1s\n', /containerLogMonitorInterval .* at least 3s/],
      ] as const) {
        writeFileSync(cfg, text);
        assert.throws(() => parse(`--config=${cfg}`), (err: Error) => err instanceof UsageError && message.test(err.message));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a size that is not a quantity and fewer than 2 files', () => {
    assert.throws(() => parse('--container-log-max-size=10MB'), /invalid value "10MB" for --container-log-max-size: expected a size such as 10Mi/);
    assert.throws(() => parse('--container-log-max-size=0'), /--container-log-max-size/);
    assert.throws(() => parse('--container-log-max-files=1'), /--container-log-max-files: at least 2 files are needed/);
  });
});
