import { readFileSync } from 'node:fs';

/** Berth's version, from package.json (the one source of it). */
export function berthVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}
