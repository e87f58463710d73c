// The flags every operator command shares: where the agent is (--root-dir, --address, --port, with
// `berth run`'s defaults) and which namespace (-n); each command adds its own.
import { runDefaults } from '../options.js';
import { parseFlags, UsageError, type FlagSpec, type ParsedFlags } from '../flags.js';

/** kubectl's one-letter spellings of the long flags (each is also a FlagSpec of its own, for parsing). */
const SHORT: Record<string, string> = { output: 'o', watch: 'w', namespace: 'n', container: 'c', follow: 'f', previous: 'p', stdin: 'i', tty: 't' };

/** The flags of a command for --help: `-o, --output string`, the one-letter specs folded into their long ones. */
export function opsFlagHelp(specs: FlagSpec[]): string {
  return [...specs, ...CONNECTION_FLAGS]
    .filter((s) => s.name.length > 1)
    .map((s) => {
      const short = SHORT[s.name] ? `-${SHORT[s.name]}, ` : '    ';
      const left = `  ${short}--${s.name}${s.type === 'bool' ? '' : ` ${s.type}`}`;
      return `${left.padEnd(30)} ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`;
    })
    .join('\n');
}

export const CONNECTION_FLAGS: FlagSpec[] = [
  { name: 'root-dir', type: 'string', help: 'the root dir of the agent (its token, certificate and address are read there)', default: '/var/lib/berth; not root: $XDG_STATE_HOME/berth or ~/.local/state/berth' },
  { name: 'address', type: 'string', help: "the agent's --address", default: 'the address the agent wrote under the root dir, else 127.0.0.1' },
  { name: 'port', type: 'int', help: "the agent's --port", default: 'the port the agent wrote under the root dir, else 10250' },
  { name: 'help', type: 'bool', help: 'show this help' },
];

export const NAMESPACE_FLAGS: FlagSpec[] = [
  { name: 'namespace', type: 'string', help: 'only pods of this namespace', default: 'every namespace on the node' },
  { name: 'n', type: 'string', help: 'short for --namespace' },
];

/** Where the operator asked the agent to be; what was not given comes from the root dir or the defaults. */
export interface ConnectionOptions {
  rootDir: string;
  address?: string;
  port?: number;
}

export interface OpsArgs {
  connection: ConnectionOptions;
  namespace?: string;
  flags: ParsedFlags;
  positional: string[];
}

/**
 * Parses a command's arguments: the shared flags plus `specs`. Single-letter booleans may be
 * grouped as kubectl allows (`-it` is `-i -t`).
 */
export function parseOpsArgs(argv: string[], specs: FlagSpec[], command: string): OpsArgs | 'help' {
  const all = [...specs, ...CONNECTION_FLAGS];
  const { flags, positional } = parseFlags(expandGroupedLetters(argv, all), all, command);
  if (flags.get('help')) return 'help';
  const port = flags.get('port') as number | undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`invalid value "${port}" for flag --port: expected the agent's port, 1-65535`);
  const namespace = (flags.get('namespace') ?? flags.get('n')) as string | undefined;
  return {
    connection: {
      rootDir: (flags.get('root-dir') as string | undefined) ?? runDefaults().rootDir,
      address: flags.get('address') as string | undefined,
      port,
    },
    namespace,
    flags,
    positional,
  };
}

function expandGroupedLetters(argv: string[], specs: FlagSpec[]): string[] {
  const letters = new Set(specs.filter((s) => s.type === 'bool' && s.name.length === 1).map((s) => s.name));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (/^-[a-zA-Z]{2,}$/.test(arg) && [...arg.slice(1)].every((c) => letters.has(c))) out.push(...[...arg.slice(1)].map((c) => `-${c}`));
    else out.push(arg);
  }
  return out;
}
