// The peers berth's container start is compared with, driven through their own CLIs as a user
// would: `podman kube play` of the same manifest, and `docker run -d --network host` with the
// Docker daemon's own CLI (/usr/bin/docker; /usr/local/bin/docker is a different, newer client).
// Each names its objects with the caller's prefix and carries a label, so leftovers are found.
import { execFile } from 'node:child_process';
import { BENCH_LABEL, BENCH_LABEL_VALUE } from './cri-raw.js';

export const DOCKER_CLI = '/usr/bin/docker';
/** dockerd's socket; BERTH_BENCH_DOCKER_HOST points the benchmarks elsewhere. */
export const DOCKER_HOST = process.env.BERTH_BENCH_DOCKER_HOST || 'unix:///var/run/docker.sock';
export const PODMAN_CLI = 'podman';

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never rejects: a spawn failure is code -1 with the error in stderr). */
export function cmd(file: string, args: string[], timeoutMs = 60_000): Promise<CmdResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === -1 ? err.message : '') });
    });
  });
}

/** Rejects (with what failed and the tool's own message) when the command fails. */
export async function mustCmd(file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const r = await cmd(file, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

const docker = (args: string[], timeoutMs?: number) => cmd(DOCKER_CLI, ['-H', DOCKER_HOST, ...args], timeoutMs);

/** undefined when dockerd answers and has the image, else why not (with the script that fixes it). */
export async function dockerUnavailable(image: string): Promise<string | undefined> {
  const v = await docker(['version', '--format', '{{.Server.Version}}'], 5_000);
  if (v.code !== 0) return `dockerd does not answer at ${DOCKER_HOST} through ${DOCKER_CLI} (${(v.stderr || v.stdout).trim().split('\n')[0]}); start it with: bash scripts/docker-up.sh`;
  const i = await docker(['image', 'inspect', '--format', '{{.Id}}', image], 5_000);
  if (i.code !== 0) return `dockerd has no image ${image}; load it with: bash scripts/docker-up.sh`;
  return undefined;
}

/** Starts `docker run -d --network host --name NAME IMAGE httpd -f -p PORT`; resolves when the CLI is done. */
export async function dockerRunHttpd(name: string, image: string, port: number): Promise<void> {
  const r = await docker(['run', '-d', '--network', 'host', '--name', name, '--label', `${BENCH_LABEL}=${BENCH_LABEL_VALUE}`, image, 'httpd', '-f', '-p', String(port)]);
  if (r.code !== 0) throw new Error(`docker run ${name}: exit ${r.code}: ${r.stderr.trim()}`);
}

export async function dockerRemove(names: string[]): Promise<void> {
  if (names.length) await docker(['rm', '-f', ...names]);
}

/** Removes every container carrying the bench label (a crashed earlier run's too); returns how many. */
export async function dockerRemoveLeftovers(): Promise<number> {
  const r = await docker(['ps', '-aq', '--filter', `label=${BENCH_LABEL}=${BENCH_LABEL_VALUE}`], 10_000);
  const ids = r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  await dockerRemove(ids);
  return ids.length;
}

const podman = (args: string[], timeoutMs?: number) => cmd(PODMAN_CLI, args, timeoutMs);

/** undefined when podman runs and has the image, else why not (with the script that fixes it). */
export async function podmanUnavailable(image: string): Promise<string | undefined> {
  const v = await podman(['version', '--format', '{{.Client.Version}}'], 10_000);
  if (v.code !== 0) return `podman does not run (${(v.stderr || v.stdout).trim().split('\n')[0]}); set it up with: bash scripts/podman-up.sh`;
  const i = await podman(['image', 'exists', image], 10_000);
  if (i.code !== 0) return `podman has no image ${image}; load it with: bash scripts/podman-up.sh`;
  return undefined;
}

/** `podman kube play FILE`; resolves when the CLI is done. */
export async function podmanKubePlay(file: string): Promise<void> {
  const r = await podman(['kube', 'play', file]);
  if (r.code !== 0) throw new Error(`podman kube play ${file}: exit ${r.code}: ${r.stderr.trim()}`);
}

/** Removes pods by name at once (`pod rm -f -t 0`: no grace, as busybox httpd ignores SIGTERM as PID 1). */
export async function podmanRemovePods(names: string[]): Promise<void> {
  if (names.length) await podman(['pod', 'rm', '-f', '-t', '0', ...names]);
}

/** Removes every pod whose name starts with PREFIX (a crashed earlier run's too); returns how many. */
export async function podmanRemoveLeftovers(prefix: string): Promise<number> {
  const r = await podman(['pod', 'ps', '--format', '{{.Name}}'], 10_000);
  const names = r.code === 0 ? r.stdout.split('\n').filter((n) => n.startsWith(prefix)) : [];
  await podmanRemovePods(names);
  return names.length;
}
