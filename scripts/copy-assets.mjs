#!/usr/bin/env node
// Copies the non-TypeScript files the compiled code loads at run time (the protobuf schema,
// src/**/*.proto) to the same place under dist/. Run by `npm run build` after tsc.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const ASSET = /\.proto$/;

function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (ASSET.test(e.name)) {
      const to = join(dist, relative(src, p));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(p, to);
    }
  }
}
walk(src);
