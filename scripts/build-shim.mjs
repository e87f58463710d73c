#!/usr/bin/env node
// Compiles the process runtime's two C programs: its supervisor, src/runtime/process/shim.c, into
// dist/berth-shim, and the helper that starts supervisors, spawner.c, into dist/berth-spawner.
// Run by `npm run build`; tests run it when either is missing or older than its source.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cc = process.env.CC || 'cc';

for (const [name, binary] of [['shim.c', 'berth-shim'], ['spawner.c', 'berth-spawner']]) {
  const source = join(root, 'src', 'runtime', 'process', name);
  const output = join(root, 'dist', binary);
  mkdirSync(dirname(output), { recursive: true });
  const result = spawnSync(cc, ['-O2', '-Wall', '-o', output, source], { stdio: 'inherit' });
  if (result.error) {
    const code = /** @type {NodeJS.ErrnoException} */ (result.error).code;
    console.error(
      code === 'ENOENT'
        ? `build-shim: C compiler "${cc}" not found; the process runtime needs ${output} built from ${source}. ` +
            'Install one (Debian: apt-get install gcc libc6-dev) or set CC, then run `npm run build` again.'
        : `build-shim: could not run "${cc}": ${result.error.message}`,
    );
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(`build-shim: "${cc} -O2 -Wall -o ${output} ${source}" failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}
