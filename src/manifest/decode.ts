// Bytes -> static pods (upstream pkg/kubelet/config/common.go tryDecodeSinglePod / tryDecodePodList).
// A manifest is checked in layers: is it text, is it YAML, is it one object, is it a Pod; then the
// pod gets its static identity and is validated. Each layer reports what it finds with a fix.
import type { Pod } from 'kubernetes-types/core/v1';
import { Composer, Parser, type Document, type Tags } from 'yaml';
import { msg, showValue, ProblemList } from './errors.js';
import { toStaticPod } from './identity.js';
import { isObject, type JsonObject } from './json.js';
import { checkJsonLimits, crossedProblem, ParseLimitCrossed, yamlTokensWithinLimits } from './limits.js';
import type { ManifestProblem, ManifestWarning } from './problem.js';
import { MAX_MANIFEST_BYTES, type DecodeResult, type StaticIdentity } from './types.js';
import { firstDuplicateKey } from './unique-keys.js';
import { validatePodAt } from './validate.js';
import { unhonouredFieldWarnings } from './unhonoured.js';
import { podWarnings } from './warnings.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Manifest text, or the problem that makes the bytes unusable as a manifest. */
type TextResult = { text: string } | { problem: ManifestProblem };

function parseProblem(origin: string, field: string, message: string, fix: string): ManifestProblem {
  return { origin, field, message, fix, reason: 'FailedToParse' };
}

export function tooLargeProblem(origin: string, size: number | 'grew'): ManifestProblem {
  const what = size === 'grew' ? `more than ${MAX_MANIFEST_BYTES} bytes (it grew while being read)` : `${size} bytes`;
  return parseProblem(
    origin,
    '',
    `is too large: ${what}, the limit for a manifest is ${MAX_MANIFEST_BYTES} bytes (10 MiB)`,
    'keep one pod per manifest and move large data (scripts, certificates) into files on the host',
  );
}

/** Checks size and that the bytes are UTF-8 text (no NUL bytes), as upstream would fail to decode them. */
export function manifestText(data: Buffer | string, origin: string): TextResult {
  const size = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
  if (size > MAX_MANIFEST_BYTES) return { problem: tooLargeProblem(origin, size) };
  const notText = (why: string): TextResult => ({
    problem: parseProblem(
      origin,
      '',
      `is not a text file (${why}); a manifest must be UTF-8 YAML or JSON`,
      'point Berth at the YAML or JSON manifest, or move this file out of the manifest directory',
    ),
  });
  let text: string;
  if (typeof data === 'string') {
    text = data;
  } else {
    if (data.includes(0)) return notText('it contains NUL bytes');
    try {
      text = utf8.decode(data);
    } catch {
      return notText('it is not valid UTF-8');
    }
  }
  if (text.includes('\u0000')) return notText('it contains NUL bytes');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text };
}

/**
 * Kubernetes reads YAML with YAML 1.1 rules (go-yaml v2): `0644` is octal, `yes` is a boolean. But
 * timestamps and base-60 numbers stay strings there, so those two 1.1 types are left out.
 */
function kubernetesYamlTags(tags: Tags): Tags {
  return tags.filter((t) => {
    const tag = typeof t === 'string' ? t : t.tag;
    const format = typeof t === 'string' ? undefined : t.format;
    return tag !== 'tag:yaml.org,2002:timestamp' && format !== 'TIME';
  });
}

type ParseResult = { empty: true } | { empty: false; value: unknown } | { problem: ManifestProblem };

/** Line and column (1-based) of a character offset, for parse errors. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, col: lines[lines.length - 1]!.length + 1 };
}

/**
 * A manifest whose first non-blank character is `{` is JSON and is read as strict JSON, as upstream
 * does (utilyaml.ToJSON passes JSON through to the JSON decoder): a trailing comma or a comment is an
 * error there even though a YAML parser would accept it.
 */
function parseJson(text: string, origin: string): ParseResult {
  try {
    return { empty: false, value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    const pos = at ? lineCol(text, Number(at[1])) : undefined;
    const what = message.replace(/ in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
    return {
      problem: parseProblem(
        origin,
        '',
        `is not valid JSON: ${what}${pos ? ` (at line ${pos.line}, column ${pos.col})` : ''}`,
        pos
          ? `fix the JSON at line ${pos.line} (a file starting with '{' is read as strict JSON: no trailing commas, no comments, keys in double quotes)`
          : "fix the JSON syntax (a file starting with '{' is read as strict JSON: no trailing commas, no comments, keys in double quotes)",
      ),
    };
  }
}

/** Parses exactly one YAML/JSON document. */
export function parseManifest(text: string, origin: string): ParseResult {
  if (text.trimStart().startsWith('{')) {
    const limited = checkJsonLimits(text, origin);
    return limited ? { problem: limited } : parseJson(text, origin);
  }
  // The library's parse pipeline (lexer -> parser -> composer), with the lexer's tokens checked
  // against the parse limits on their way to the parser: the limits cost no second pass.
  const parser = new Parser();
  const composer = new Composer({ version: '1.1', customTags: kubernetesYamlTags, uniqueKeys: false });
  function* cst() {
    for (const token of yamlTokensWithinLimits(text)) yield* parser.next(token);
    yield* parser.end();
  }
  let list: Document.Parsed[];
  try {
    list = Array.from(composer.compose(cst()));
  } catch (err) {
    if (err instanceof ParseLimitCrossed) return { problem: crossedProblem(text, origin, err) };
    return { problem: parseProblem(origin, '', `is not valid YAML or JSON: ${(err as Error).message}`, 'fix the YAML syntax') };
  }
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const pos = lineCol(text, err.pos[0]);
      const what = err.message.split(/ at line \d+, column \d+/)[0]!.split('\n')[0]!;
      return {
        problem: parseProblem(
          origin,
          '',
          `is not valid YAML or JSON: ${what} (at line ${pos.line}, column ${pos.col})`,
          `fix the syntax at line ${pos.line} (check indentation, quoting and brackets)`,
        ),
      };
    }
  }
  // A trailing `---` or comment-only document carries no content; only real documents count.
  const real = list.filter((d) => d.contents !== null && !(isNullScalar(d.contents)));
  if (real.length === 0) return { empty: true };
  if (real.length > 1) {
    return {
      problem: parseProblem(
        origin,
        '',
        `holds ${real.length} YAML documents; a manifest must hold exactly one Pod`,
        "split the documents (separated by '---') into one file per pod",
      ),
    };
  }
  const duplicate = firstDuplicateKey(real[0]!);
  if (duplicate) {
    const pos = lineCol(text, duplicate.offset);
    return {
      problem: parseProblem(
        origin,
        '',
        `is not valid YAML: the key ${JSON.stringify(duplicate.key)} appears twice in one mapping (at line ${pos.line}, column ${pos.col})`,
        `remove or rename one of the two ${JSON.stringify(duplicate.key)} keys at line ${pos.line}`,
      ),
    };
  }
  try {
    return { empty: false, value: real[0]!.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    // The yaml library refuses aliases whose expansion grows too big (billion laughs) here.
    return {
      problem: parseProblem(
        origin,
        '',
        `is refused: its YAML aliases expand to too many values (parse limit: alias expansion; ${(err as Error).message})`,
        'write the aliased values (*name) out in full instead of nesting aliases of aliases',
      ),
    };
  }
}

function isNullScalar(node: unknown): boolean {
  return isObject(node) && 'value' in node && node.value === null && !('items' in node);
}

/** The problem for a top-level value that is not a mapping. */
function notAnObject(value: unknown, origin: string): ManifestProblem {
  if (Array.isArray(value)) {
    return parseProblem(
      origin,
      '',
      'is a YAML list, not a Pod object; a manifest must hold exactly one Pod',
      "remove the leading '- ' so the file is a single Pod mapping, and put each further pod in its own file",
    );
  }
  return parseProblem(
    origin,
    '',
    `is a ${typeof value} (${showValue(value)}), not a Pod object`,
    'write the manifest as a Pod mapping with apiVersion: v1, kind: Pod, metadata and spec',
  );
}

/** kind/apiVersion checks for an object that should be a Pod. `kindRequired`: false inside a PodList. */
function podTypeProblems(obj: JsonObject, origin: string, prefix: string, kindRequired: boolean, listAllowed: boolean): ManifestProblem[] {
  const p = new ProblemList(origin, 'FailedToParse', prefix);
  const supported = listAllowed ? ['Pod', 'PodList'] : ['Pod'];
  if (obj.kind === undefined || obj.kind === null || obj.kind === '') {
    if (kindRequired) p.add('kind', msg.required(), 'add kind: Pod (and apiVersion: v1) at the top of the manifest');
  } else if (obj.kind !== 'Pod') {
    const fix = listAllowed
      ? 'serve a single Pod or a PodList (apiVersion: v1) with the pods under items'
      : obj.kind === 'PodList' || obj.kind === 'List'
        ? 'a manifest file holds exactly one Pod: put each pod of the list in its own file'
        : 'static pods must be kind: Pod; copy the pod template (metadata and spec) into a kind: Pod manifest';
    p.add('kind', msg.unsupported(obj.kind, supported), fix);
  }
  // Upstream's decoder needs both to know what the object is; inside a PodList the list's count.
  if (obj.apiVersion === undefined || obj.apiVersion === null || obj.apiVersion === '') {
    if (kindRequired) p.add('apiVersion', msg.required(), 'add apiVersion: v1 at the top of the manifest');
  } else if (obj.apiVersion !== 'v1') {
    p.add('apiVersion', msg.unsupported(obj.apiVersion, ['v1']), 'set apiVersion: v1');
  }
  return p.items;
}

/** Warnings (on the pod as written), then static identity + defaults, then validation. */
function staticize(obj: JsonObject, identity: StaticIdentity, prefix: string): { pod: Pod; problems: ManifestProblem[]; warnings: ManifestWarning[] } {
  const warnings = [...podWarnings(obj, identity.origin, prefix), ...unhonouredFieldWarnings(obj as Pod, identity.origin, prefix)];
  const pod = toStaticPod(obj as Pod, identity);
  return { pod, problems: validatePodAt(pod, identity.origin, prefix), warnings };
}

function failed(problems: ManifestProblem[]): DecodeResult {
  return { pods: [], problems, warnings: [] };
}

/** One file's bytes: exactly ONE Pod, YAML or JSON. */
export function decodePodManifest(data: Buffer | string, identity: StaticIdentity): DecodeResult {
  const origin = identity.origin;
  const text = manifestText(data, origin);
  if ('problem' in text) return failed([text.problem]);
  const parsed = parseManifest(text.text, origin);
  if ('problem' in parsed) return failed([parsed.problem]);
  if (parsed.empty) {
    return failed([parseProblem(origin, '', 'is empty', 'write a Pod manifest into the file, or remove the file')]);
  }
  const value = parsed.value;
  if (!isObject(value)) return failed([notAnObject(value, origin)]);
  const typeProblems = podTypeProblems(value, origin, '', true, false);
  if (typeProblems.length > 0) return failed(typeProblems);
  const { pod, problems, warnings } = staticize(value, identity, '');
  return problems.length > 0 ? failed(problems) : { pods: [pod], problems: [], warnings };
}

/** A URL body: a single Pod first, then a PodList. One bad item rejects the whole body. */
export function decodePodListManifest(data: Buffer | string, identity: StaticIdentity): DecodeResult {
  const origin = identity.origin;
  const text = manifestText(data, origin);
  if ('problem' in text) return failed([text.problem]);
  if (text.text.trim() === '') return failed([]);
  const parsed = parseManifest(text.text, origin);
  if ('problem' in parsed) return failed([parsed.problem]);
  if (parsed.empty) return failed([]);
  const value = parsed.value;
  if (!isObject(value)) return failed([notAnObject(value, origin)]);

  if (value.kind !== 'PodList') {
    const typeProblems = podTypeProblems(value, origin, '', true, true);
    if (typeProblems.length > 0) return failed(typeProblems);
    const { pod, problems, warnings } = staticize(value, identity, '');
    return problems.length > 0 ? failed(problems) : { pods: [pod], problems: [], warnings };
  }

  const listProblems = podTypeProblems({ ...value, kind: 'Pod' }, origin, '', true, true);
  if (!Array.isArray(value.items)) {
    const p = new ProblemList(origin, 'FailedToParse');
    if (value.items === undefined || value.items === null) return failed(listProblems);
    p.add('items', msg.invalid(value.items, 'must be a list'), 'put the pods of the PodList under items as a YAML list');
    return failed([...listProblems, ...p.items]);
  }
  const pods: Pod[] = [];
  const problems: ManifestProblem[] = [...listProblems];
  const warnings: ManifestWarning[] = [];
  value.items.forEach((item, i) => {
    const prefix = `items[${i}]`;
    if (!isObject(item)) {
      const p = new ProblemList(origin, 'FailedToParse', prefix);
      p.add('', msg.invalid(item, 'must be an object'), 'make every PodList item a Pod mapping');
      problems.push(...p.items);
      return;
    }
    const typeProblems = podTypeProblems(item, origin, prefix, false, false);
    if (typeProblems.length > 0) {
      problems.push(...typeProblems);
      return;
    }
    const result = staticize(item, identity, prefix);
    problems.push(...result.problems);
    warnings.push(...result.warnings);
    pods.push(result.pod);
  });
  return problems.length > 0 ? failed(problems) : { pods, problems: [], warnings };
}
