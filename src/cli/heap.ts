// The agent's V8 heap settings. A node agent is judged by its resident memory, and its garbage is
// short-lived bursts (a folder of manifests at once, API requests, probe attempts): V8 would grow
// the young generation to 32 MB in such a burst and keep it that size, most of it empty, for
// good. Kept at its initial size, the young generation is collected more often (each collection
// costs what survives it, little here) and the agent stays about 20 MB smaller.
import { setFlagsFromString } from 'node:v8';

export function keepYoungGenerationSmall(): void {
  // Read by V8 each time it would grow the young generation, so it takes effect at run time.
  setFlagsFromString('--semi-space-growth-factor=1');
}
