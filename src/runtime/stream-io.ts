// A StreamIO with some of its streams changed, for a runtime that must wire fewer (an attach to a
// container without stdin) or the container's own tty setting.
import type { StreamIO } from './types.js';

/**
 * A copy of `io` with `change` applied. Not a `{ ...io }` spread: the sessions the node API hands
 * over keep `signal` and `onResize` on their prototype, which a spread leaves out.
 */
export function withStreams(io: StreamIO, change: Partial<Pick<StreamIO, 'stdin' | 'tty'>>): StreamIO {
  return {
    stdin: 'stdin' in change ? (change.stdin ?? null) : io.stdin,
    stdout: io.stdout,
    stderr: io.stderr,
    tty: change.tty ?? io.tty,
    signal: io.signal,
    onResize: (listener) => io.onResize(listener),
  };
}
