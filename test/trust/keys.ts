// Real OpenSSH keys and signatures for the trust tests: ssh-keygen makes them, Berth verifies them
// with its own code.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface TestKey {
  /** Private key file (for signing). */
  private: string;
  /** The `.pub` line. */
  publicLine: string;
  publicFile: string;
}

export function makeKey(dir: string, name: string, type = 'ed25519'): TestKey {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', file]);
  return { private: file, publicFile: `${file}.pub`, publicLine: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** Signs `file` as an operator would: writes `<file>.sig`, returns its text. */
export function sign(key: TestKey, file: string, namespace = 'berth-manifest'): string {
  rmSync(`${file}.sig`, { force: true }); // ssh-keygen does not overwrite a signature
  execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', namespace, '-f', key.private, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(`${file}.sig`, 'utf8');
}
