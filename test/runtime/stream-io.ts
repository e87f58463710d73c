// A StreamIO made of PassThrough streams, as a test client of exec and attach: what the command
// writes is collected (or counted, for huge outputs), stdin is written by the test, resizes and
// the client's disconnect are triggered by the test.
import { PassThrough, Writable } from 'node:stream';
import type { StreamIO, TerminalSize } from '../../src/runtime/types.js';

export interface TestClient {
  io: StreamIO;
  stdin: PassThrough;
  /** Everything written to stdout / stderr so far, as text. */
  stdout(): string;
  stderr(): string;
  /** Bytes written to stdout so far (also when `countOnly`). */
  stdoutBytes(): number;
  resize(size: TerminalSize): void;
  disconnect(): void;
}

export interface ClientOptions {
  tty?: boolean;
  stdin?: boolean;
  /** Keep only the byte count of stdout (for outputs too big to keep). */
  countOnly?: boolean;
}

export function testClient(options: ClientOptions = {}): TestClient {
  const tty = options.tty ?? false;
  const stdin = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  const stdout = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, done) {
      outBytes += chunk.length;
      if (!options.countOnly) out.push(chunk);
      done();
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _enc, done) {
      err.push(chunk);
      done();
    },
  });
  const listeners: Array<(size: TerminalSize) => void> = [];
  let lastSize: TerminalSize | undefined;
  const controller = new AbortController();
  return {
    io: {
      stdin: options.stdin === false ? null : stdin,
      stdout,
      stderr: tty ? null : stderr,
      tty,
      // A late listener still gets the size sent before it listened, as a protocol layer keeps it.
      onResize: (listener) => {
        listeners.push(listener);
        if (lastSize) listener(lastSize);
      },
      signal: controller.signal,
    },
    stdin,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    stdoutBytes: () => outBytes,
    resize: (size) => {
      lastSize = size;
      listeners.forEach((l) => l(size));
    },
    disconnect: () => controller.abort(),
  };
}
