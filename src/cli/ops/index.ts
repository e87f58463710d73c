// The operator commands: the local agent's pods, logs, events and containers through its node API,
// with the root dir's credentials (no kubeconfig needed), in kubectl's formats.
import { describeCommand } from './describe.js';
import { eventsCommand } from './events.js';
import { execCommand } from './exec.js';
import { getCommand } from './get.js';
import { logsCommand } from './logs.js';

export { OpsError } from './errors.js';

export const OPS_COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  get: getCommand,
  describe: describeCommand,
  logs: logsCommand,
  events: eventsCommand,
  exec: execCommand,
};

export const OPS_USAGE = `  berth get pods [NAME...] [-o wide|yaml|json] [-w]
                                               list the node's pods (kubectl's table)
  berth describe pod NAME                      a pod in detail, with its events
  berth logs [-f] [-p] [--tail N] POD [-c C]   a container's log
  berth events [-w]                            the node's recent pod and node events
  berth exec [-i] [-t] POD [-c C] -- CMD...    run a command in a container
`;
