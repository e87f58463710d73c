#!/usr/bin/env node
// Generates the embedded API server's OpenAPI schema definitions from the `kubernetes-types`
// declarations (a dependency) and their doc comments, read with the TypeScript compiler API, into
// dist/openapi/definitions.json. Run by `npm run build`; nothing generated is committed.
//
// The declarations carry names, doc comments, optionality (required fields), readonly markers,
// element and map types and the apiVersion/kind literals of top-level kinds. What they do not carry
// (int64 vs int32, patch merge keys, list types) is added at run time from the facts tables in
// src/apiserver/openapi/facts.ts, so that this script stays a plain translation.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ts = require('typescript');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const typesDir = dirname(require.resolve('kubernetes-types/package.json'));
const output = join(root, 'dist', 'openapi', 'definitions.json');

/** kubernetes-types module (path without .d.ts) → the Go package prefix of upstream definition names. */
const MODULES = {
  'core/v1': 'io.k8s.api.core.v1',
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  'coordination/v1': 'io.k8s.api.coordination.v1',
  'authentication/v1': 'io.k8s.api.authentication.v1',
  'authorization/v1': 'io.k8s.api.authorization.v1',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
  version: 'io.k8s.apimachinery.pkg.version',
};

/** `number | string` in the declarations is upstream's intstr.IntOrString. */
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

function fail(message) {
  console.error(`build-openapi: ${message}`);
  process.exit(1);
}

/** The doc comment of a node, as plain text (the declarations keep upstream's Go comments). */
function docOf(node, sf) {
  const ranges = ts.getLeadingCommentRanges(sf.text, node.pos) ?? [];
  const docs = ranges.map((r) => sf.text.slice(r.pos, r.end)).filter((c) => c.startsWith('/**'));
  if (docs.length === 0) return undefined;
  const text = docs[docs.length - 1]
    .replace(/^\/\*\*\s?/, '')
    .replace(/\s*\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
  return text === '' ? undefined : text;
}

/** Import bindings of a file: local name → definition prefix of the module it comes from. */
function importsOf(sf, modulePath) {
  const out = new Map();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause?.namedBindings) continue;
    const spec = st.moduleSpecifier.text;
    const target = join(dirname(modulePath), spec).replace(/\\/g, '/');
    const prefix = MODULES[target];
    if (!prefix) continue;
    for (const el of st.importClause.namedBindings.elements ?? []) out.set(el.name.text, `${prefix}.${(el.propertyName ?? el.name).text}`);
  }
  return out;
}

function literalValue(t) {
  if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return t.literal.text;
  return undefined;
}

function schemaOfType(t, ctx, where) {
  switch (t.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: 'string' };
    case ts.SyntaxKind.NumberKeyword:
      return { type: 'integer', format: 'int32' };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
  }
  if (ts.isLiteralTypeNode(t)) return { type: 'string' };
  if (ts.isParenthesizedTypeNode(t)) return schemaOfType(t.type, ctx, where);
  if (ts.isArrayTypeNode(t)) return { type: 'array', items: schemaOfType(t.elementType, ctx, where) };
  if (ts.isUnionTypeNode(t)) {
    const kinds = t.types.map((x) => x.kind).sort();
    if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) {
      ctx.used.add(INT_OR_STRING);
      return { $ref: INT_OR_STRING };
    }
    fail(`${where}: union type ${t.getText(ctx.sf)} has no OpenAPI mapping; add one to scripts/build-openapi.mjs`);
  }
  if (ts.isTypeLiteralNode(t)) {
    const index = t.members.find((m) => ts.isIndexSignatureDeclaration(m));
    if (index && t.members.length === 1) return { type: 'object', additionalProperties: schemaOfType(index.type, ctx, where) };
    if (t.members.length === 0) return { type: 'object' };
    fail(`${where}: inline object type has no OpenAPI mapping`);
  }
  if (ts.isTypeReferenceNode(t)) {
    const name = t.typeName.getText(ctx.sf);
    if (name === 'Array' && t.typeArguments?.length === 1) return { type: 'array', items: schemaOfType(t.typeArguments[0], ctx, where) };
    const ref = ctx.local.has(name) ? `${ctx.prefix}.${name}` : ctx.imports.get(name);
    if (!ref) fail(`${where}: type ${name} is neither declared in the module nor imported from a known one`);
    return { $ref: ref };
  }
  fail(`${where}: type ${t.getText(ctx.sf)} has no OpenAPI mapping`);
}

/** GVK of a top-level kind: the apiVersion and kind literals of its declaration. */
function gvkOf(decl) {
  let apiVersion;
  let kind;
  for (const m of decl.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    if (m.name.getText() === 'apiVersion') apiVersion = literalValue(m.type);
    if (m.name.getText() === 'kind') kind = literalValue(m.type);
  }
  if (apiVersion === undefined || kind === undefined) return undefined;
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion, kind } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
}

function translateModule(modulePath, prefix, definitions, used) {
  const file = join(typesDir, `${modulePath}.d.ts`);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${relative(root, file)} (${err.message}); is the kubernetes-types dependency installed (npm ci)?`);
  }
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const local = new Set();
  for (const st of sf.statements) if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) local.add(st.name.text);
  const ctx = { sf, prefix, local, imports: importsOf(sf, modulePath), used };
  for (const st of sf.statements) {
    const name = `${prefix}.${st.name?.text}`;
    if (ts.isTypeAliasDeclaration(st)) {
      const s = schemaOfType(st.type, ctx, name);
      const description = docOf(st, sf);
      if (description) s.description = description;
      definitions[name] = s;
      continue;
    }
    if (!ts.isInterfaceDeclaration(st)) continue;
    const def = { type: 'object' };
    const description = docOf(st, sf);
    if (description) def.description = description;
    const properties = {};
    const required = [];
    for (const m of st.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const prop = m.name.getText(sf).replace(/^"|"$/g, '');
      const s = schemaOfType(m.type, ctx, `${name}.${prop}`);
      const d = docOf(m, sf);
      if (d) s.description = d;
      properties[prop] = s;
      if (!m.questionToken) required.push(prop);
    }
    if (Object.keys(properties).length > 0) def.properties = properties;
    if (required.length > 0) def.required = required;
    const gvk = gvkOf(st);
    if (gvk) def['x-kubernetes-group-version-kind'] = [gvk];
    definitions[name] = def;
  }
}

const definitions = {};
const used = new Set();
for (const [modulePath, prefix] of Object.entries(MODULES)) translateModule(modulePath, prefix, definitions, used);
if (used.has(INT_OR_STRING)) {
  definitions[INT_OR_STRING] = {
    type: 'string',
    format: 'int-or-string',
    description: 'A value that is either a whole number or a string, such as a port number or a port name, or a count or a percentage.',
  };
}
// Time-valued strings: the declarations name them Time and MicroTime; upstream marks them date-time.
for (const t of ['Time', 'MicroTime']) {
  const d = definitions[`${MODULES['meta/v1']}.${t}`];
  if (d) d.format = 'date-time';
}

const pkg = JSON.parse(readFileSync(join(typesDir, 'package.json'), 'utf8'));
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, JSON.stringify({ source: `kubernetes-types@${pkg.version}`, definitions }));
console.log(`build-openapi: ${Object.keys(definitions).length} definitions from kubernetes-types@${pkg.version} -> ${relative(root, output)}`);
