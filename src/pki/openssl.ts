// The `openssl` CLI, the one tool berth uses to sign certificates (Node can make keys but not
// certificates). Keys are EC P-256, made by Node.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('pki: the `openssl` command is needed to create the TLS certificates; install it (apt-get install openssl)');
    }
    throw new Error(`pki: openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

export function newKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A random positive 128-bit serial number, as openssl's -set_serial takes it. */
export function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return '0x' + b.toString('hex');
}
