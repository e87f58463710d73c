// Command-line flags in the kubelet's style: `--name=value` or `--name value`, booleans as
// `--name` or `--name=false`, repeatable flags collect every value. Anything unknown or malformed is
// a UsageError (exit code 2) that says which flag and what is expected.
import { parseDuration } from './duration.js';

export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagType = 'string' | 'int' | 'duration' | 'bool' | 'strings';

export interface FlagSpec {
  name: string;
  type: FlagType;
  help: string;
  default?: string;
}

export type FlagValue = string | number | boolean | string[];
export type ParsedFlags = Map<string, FlagValue>;

export interface ParseResult {
  flags: ParsedFlags;
  positional: string[];
}

export function parseFlags(argv: string[], specs: FlagSpec[], command: string): ParseResult {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: ParsedFlags = new Map();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) {
      const near = nearestFlag(name, specs);
      throw new UsageError(
        `unknown flag ${JSON.stringify('--' + name)} for "berth ${command}"${near ? `; did you mean --${near}?` : ''} (run "berth ${command} --help" for the list of flags)`,
      );
    }
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`flag --${name} needs a value (${describe(spec.type)})`);
      raw = next;
      i++;
    }
    const value = convert(spec, raw);
    if (spec.type === 'strings') flags.set(name, [...((flags.get(name) as string[] | undefined) ?? []), value as string]);
    else flags.set(name, value);
  }
  return { flags, positional };
}

/** The known flag closest to a mistyped one (edit distance), if it is close enough to be a typo. */
function nearestFlag(name: string, specs: FlagSpec[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const s of specs) {
    const d = editDistance(name, s.name);
    if (!best || d < best.d) best = { name: s.name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 4)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  const bad = (expected: string) => new UsageError(`invalid value ${JSON.stringify(raw)} for flag --${spec.name}: expected ${expected}`);
  switch (spec.type) {
    case 'string':
    case 'strings':
      return raw;
    case 'bool':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw bad('true or false');
    case 'int': {
      if (!/^\d+$/.test(raw)) throw bad('a whole number');
      return Number(raw);
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) throw bad('a duration such as 20s, 1m30s or 500ms');
      return ms;
    }
  }
}

function describe(type: FlagType): string {
  return { string: 'a string', strings: 'a string', int: 'a whole number', duration: 'a duration such as 20s', bool: 'true or false' }[type];
}

export function flagHelp(specs: FlagSpec[]): string {
  return specs
    .map((s) => {
      const left = `  --${s.name}${s.type === 'bool' ? '' : ` ${s.type}`}`;
      const def = s.default !== undefined ? ` (default ${s.default})` : '';
      return `${left.padEnd(40)} ${s.help}${def}`;
    })
    .join('\n');
}
