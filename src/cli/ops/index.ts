// The operator commands: the local agent's pods, logs, events and containers through its node API,
// with the root dir's credentials (no kubeconfig needed), in kubectl's formats.
import { describeCommand } from './describe.js';
import { eventsCommand } from './events.js';
import { execCommand } from './exec.js';
import { getCommand } from './get.js';
import { logsCommand } from './logs.js';

export { OpsError } from './errors.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  get: getCommand,
  describe: describeCommand,
  logs: logsCommand,
  events: eventsCommand,
  exec: execCommand,
};

export const OPS_COMMAND_NAMES = Object.keys(COMMANDS);

/** Runs an operator command; undefined when `name` is none of them. */
export function runOpsCommand(name: string, argv: string[]): Promise<number> | undefined {
  if (!Object.hasOwn(COMMANDS, name)) return undefined;
  // `berth logs -f | head` closes the pipe: that is the reader being done, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return COMMANDS[name]!(argv);
}

export const OPS_USAGE = `  berth get pods [NAME...] [-o wide|yaml|json] [-w]
                                               list the node's pods (kubectl's table)
  berth describe pod NAME                      a pod in detail, with its events
  berth logs [-f] [-p] [--tail N] POD [-c C]   a container's log
  berth events [-w]                            the node's recent pod and node events
  berth exec [-i] [-t] POD [-c C] -- CMD...    run a command in a container
`;
