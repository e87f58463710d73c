// Parse limits, checked by one cheap linear pass over the manifest text BEFORE the YAML or JSON
// parser builds anything. A parser's cost grows with nesting (its stack, its node tree) and with
// aliases (billion laughs), so a hostile or broken 200 KB file could otherwise cost hundreds of MB.
// The pass stops at the first limit it crosses, so a refused manifest costs only what was scanned.
import { CST, Lexer } from 'yaml';
import type { ManifestProblem } from './problem.js';

/** The limits; every one is far above what a real Pod needs (a Pod nests about 12 deep). */
export const PARSE_LIMITS = {
  /** Collections inside collections (flow `[`/`{` and block indentation together). */
  maxDepth: 100,
  /** Scalars and collections in the document (120 000 labels are 240 000 nodes). */
  maxNodes: 1_000_000,
  /** YAML aliases (`*name`); their expansion is bounded again when the document becomes JSON. */
  maxAliases: 100,
  /** One scalar (a string, a key, a block scalar), in characters. */
  maxStringLength: 1024 * 1024,
} as const;

export type ParseLimit = keyof typeof PARSE_LIMITS;

const FIX: Record<ParseLimit, string> = {
  maxDepth: 'a Pod never nests that deep: check the file for a runaway nesting of [ or { or "- - -", or regenerate it',
  maxNodes: 'keep one pod per manifest and move bulk data (many labels, long lists) into files on the host',
  maxAliases: 'write the aliased values (*name) out in full; a Pod needs at most a few aliases',
  maxStringLength: 'move large data (scripts, certificates, data blobs) into files on the host and mount them with a hostPath volume',
};

const WHAT: Record<ParseLimit, string> = {
  maxDepth: 'nests deeper than',
  maxNodes: 'holds more YAML/JSON values than',
  maxAliases: 'uses more YAML aliases than',
  maxStringLength: 'holds a string longer than',
};

const UNIT: Record<ParseLimit, string> = {
  maxDepth: 'levels',
  maxNodes: 'values',
  maxAliases: 'aliases',
  maxStringLength: 'characters',
};

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The problem for a crossed limit: which limit, its value, where, and what to do. */
export function limitProblem(origin: string, limit: ParseLimit, line: number): ManifestProblem {
  return {
    origin,
    field: '',
    message: `is refused before parsing: it ${WHAT[limit]} the limit of ${PARSE_LIMITS[limit]} ${UNIT[limit]} (parse limit ${limit}, crossed at line ${line})`,
    fix: FIX[limit],
    reason: 'FailedToParse',
  };
}

/** A crossed limit and the character offset where it was crossed. */
interface Crossed {
  limit: ParseLimit;
  offset: number;
}

/**
 * Strict JSON (a manifest starting with `{`): depth from the brackets, values from the separators,
 * string length between quotes. Syntax errors are left to JSON.parse, which reports them better.
 */
function scanJson(text: string): Crossed | undefined {
  let depth = 0;
  let nodes = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      if (i - start - 1 > PARSE_LIMITS.maxStringLength) return { limit: 'maxStringLength', offset: start };
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > PARSE_LIMITS.maxDepth) return { limit: 'maxDepth', offset: i };
      if (++nodes > PARSE_LIMITS.maxNodes) return { limit: 'maxNodes', offset: i };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ || c === 0x3a /* : */) {
      if (++nodes > PARSE_LIMITS.maxNodes) return { limit: 'maxNodes', offset: i };
    }
  }
  return undefined;
}

/** Thrown by yamlTokensWithinLimits when the text crosses a limit. */
export class ParseLimitCrossed extends Error {
  constructor(
    readonly limit: ParseLimit,
    readonly offset: number,
  ) {
    super(`parse limit ${limit} crossed at offset ${offset}`);
  }
}

/**
 * The yaml library's lexer tokens of `text`, each checked before it is handed on, so the parser
 * that consumes them never sees the token that crosses a limit (it throws ParseLimitCrossed
 * instead). The lexer is linear and builds no tree; it knows quotes, comments and block scalars, so
 * brackets inside a script are not mistaken for nesting. Block nesting is the stack of the columns
 * where nodes start (a `- - -` line nests once per dash); flow nesting is counted on top.
 */
export function* yamlTokensWithinLimits(text: string): Generator<string, void> {
  let offset = 0;
  let lineStart = 0;
  let flowDepth = 0;
  let nodes = 0;
  let aliases = 0;
  const columns: number[] = [];
  const nodeStart = (column: number): Crossed | undefined => {
    if (++nodes > PARSE_LIMITS.maxNodes) return { limit: 'maxNodes', offset };
    if (flowDepth > 0) return undefined;
    while (columns.length > 0 && columns[columns.length - 1]! >= column) columns.pop();
    columns.push(column);
    return columns.length > PARSE_LIMITS.maxDepth ? { limit: 'maxDepth', offset } : undefined;
  };
  // The lexer marks a plain or block scalar with a control token (not in the text) before its value.
  let valueNext = false;
  for (const token of new Lexer().lex(text)) {
    if (token === CST.DOCUMENT || token === CST.FLOW_END) {
      yield token;
      continue;
    }
    if (token === CST.SCALAR) {
      valueNext = true;
      yield token;
      continue;
    }
    const column = offset - lineStart;
    let crossed: Crossed | undefined;
    const type = valueNext ? 'scalar' : CST.tokenType(token);
    valueNext = false;
    switch (type) {
      case 'flow-map-start':
      case 'flow-seq-start':
        crossed = nodeStart(column);
        if (!crossed && ++flowDepth + columns.length > PARSE_LIMITS.maxDepth) crossed = { limit: 'maxDepth', offset };
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (flowDepth > 0) flowDepth--;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        crossed = nodeStart(column);
        break;
      case 'alias':
        if (++aliases > PARSE_LIMITS.maxAliases) crossed = { limit: 'maxAliases', offset };
        else crossed = nodeStart(column);
        break;
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
        if (token.length > PARSE_LIMITS.maxStringLength) crossed = { limit: 'maxStringLength', offset };
        else if (token.indexOf('\n') === -1) crossed = nodeStart(column);
        else if (++nodes > PARSE_LIMITS.maxNodes) crossed = { limit: 'maxNodes', offset };
        break;
      default:
        break;
    }
    if (crossed) throw new ParseLimitCrossed(crossed.limit, crossed.offset);
    yield token;
    offset += token.length;
    // A newline, a multi-line scalar or a block scalar's body: the next column counts from its last '\n'.
    const nl = token.lastIndexOf('\n');
    if (nl !== -1) lineStart = offset - token.length + nl + 1;
  }
}

/** The first parse limit a JSON manifest crosses, as a problem; undefined when within all limits. */
export function checkJsonLimits(text: string, origin: string): ManifestProblem | undefined {
  const crossed = scanJson(text);
  return crossed ? limitProblem(origin, crossed.limit, lineOf(text, crossed.offset)) : undefined;
}

/** The problem for a ParseLimitCrossed thrown while parsing `text`. */
export function crossedProblem(text: string, origin: string, crossed: ParseLimitCrossed): ManifestProblem {
  return limitProblem(origin, crossed.limit, lineOf(text, crossed.offset));
}
