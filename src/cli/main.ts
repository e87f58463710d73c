// `berth` entry point: subcommands `run`, `validate`, `version`, `help`, and the operator commands
// (get, describe, logs, events, exec) that talk to the local agent.
// The heap setting (see heap.ts); bin/berth has applied it already, before this graph was parsed.
import './heap.js';
import { createLogger } from '../log/index.js';
import { parseManifestUrlHeader } from '../sources/index.js';
import { Agent } from './agent.js';
import { flagHelp, UsageError } from './flags.js';
import { OPS_COMMAND_NAMES, OPS_USAGE, OpsError, runOpsCommand } from './ops/index.js';
import { parseRunOptions, RUN_FLAGS } from './options.js';
import { validateCommand } from './validate.js';
import { berthVersion } from './version.js';

const USAGE = `berth: runs Kubernetes static pods from a manifest folder or URL.

Usage:
  berth run --pod-manifest-path=DIR [flags]   run the node agent
  berth validate PATH...                       check manifests (files or folders) and print every problem
  berth version                                print the version

Operating the agent on this machine (with its root dir's credentials, no kubeconfig needed):
${OPS_USAGE}
Run "berth run --help" for the flags of run, "berth COMMAND --help" for the others'
(--root-dir, --address and --port as for run).
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest);
    case 'validate':
      return validateCommand(rest);
    case 'version':
    case '--version':
      process.stdout.write(`berth ${berthVersion()}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default: {
      const ops = runOpsCommand(command, rest);
      if (ops) return ops;
      throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: run, validate, version, ${OPS_COMMAND_NAMES.join(', ')} (see "berth help")`);
    }
  }
}

async function run(argv: string[]): Promise<number> {
  const options = parseRunOptions(argv, parseManifestUrlHeader);
  if (options === 'help') {
    process.stdout.write(`Usage: berth run [flags]\n\nFlags (kubelet names):\n${flagHelp(RUN_FLAGS)}\n`);
    return 0;
  }
  const log = createLogger();
  const agent = new Agent(options, log);
  const shutdown = (signal: string) => {
    log.info('stopping; static pods keep running and are adopted by the next start', { signal });
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await agent.start();
  } catch (err) {
    log.error(`cannot start: ${(err as Error).message}`);
    await agent.stop().catch(() => undefined);
    return 1;
  }
  return new Promise<number>(() => undefined); // runs until a signal
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof OpsError) {
      process.stderr.write(`berth: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`berth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
