// ExecSync through the CRI: the runtime runs the command in the container (its namespaces, cgroup,
// user and environment) and kills it at the timeout. The CRI counts the timeout in whole seconds,
// so the call's own deadline carries the exact one: when it passes, grpc cancels the call and
// containerd kills the exec'd process with it.
import * as grpc from '@grpc/grpc-js';
import { RuntimeError, type ExecSyncResult } from '../types.js';
import { CriCallError, type CriClient } from './client.js';

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export async function criExecSync(client: CriClient, id: string, command: string[], timeoutMs: number): Promise<ExecSyncResult> {
  if (command.length === 0) throw new RuntimeError('ExecError', `exec: container ${id}: no command given`);
  const timeout = Math.max(1, Math.ceil(timeoutMs / 1000));
  try {
    const response = await client.call<ExecSyncResponse>('RuntimeService', 'ExecSync', { containerId: id, cmd: command, timeout }, Math.max(1, timeoutMs));
    return { exitCode: response.exitCode, stdout: Buffer.from(response.stdout), stderr: Buffer.from(response.stderr), timedOut: false };
  } catch (err) {
    if (!(err instanceof CriCallError)) throw err;
    if (err.code === grpc.status.DEADLINE_EXCEEDED || /timeout .* exceeded|deadline exceeded/i.test(err.details)) {
      return { exitCode: -1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: true };
    }
    if (err.code === grpc.status.NOT_FOUND || (/not found/i.test(err.details) && !/executable file|no such file/i.test(err.details))) {
      throw new RuntimeError('ContainerNotFound', `exec: no container ${id} in the container runtime at ${err.endpoint}`);
    }
    if (err.code === grpc.status.FAILED_PRECONDITION || /not running|CONTAINER_EXITED|CONTAINER_CREATED/i.test(err.details)) {
      throw new RuntimeError('ContainerNotRunning', `exec: container ${id} is not running (${err.details}); a command can only run in a running container`);
    }
    // The runtime could not start the command (runc: executable file not found, permission denied):
    // an exit code as a shell gives, with the runtime's reason as the command's stderr.
    if (/executable file not found|no such file or directory/i.test(err.details)) return cannotRun(127, err.details);
    if (/permission denied|is a directory|exec format error/i.test(err.details)) return cannotRun(126, err.details);
    if (err.unavailable) {
      throw new RuntimeError('RuntimeUnavailable', `exec: the container runtime at ${err.endpoint} is not reachable (${err.details}); is containerd running?`);
    }
    throw new RuntimeError('ExecError', `exec in container ${id}: ${err.details}`);
  }
}

function cannotRun(exitCode: 126 | 127, details: string): ExecSyncResult {
  return { exitCode, stdout: Buffer.alloc(0), stderr: Buffer.from(details + '\n'), timedOut: false };
}
