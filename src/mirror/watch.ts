// Reads a watch response: one JSON event per line, `{type, object}`, possibly split across chunks.
import type { IncomingMessage } from 'node:http';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  /** The object; for ERROR a Kubernetes Status. */
  object: T;
}

/** Calls onEvent per line; resolves at the end of the stream, rejects on a broken line or connection. */
export function readWatchStream<T>(res: IncomingMessage, onEvent: (e: WatchEvent<T>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let failed = false;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (failed) return;
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === '') continue;
        let e: WatchEvent<T>;
        try {
          e = JSON.parse(line) as WatchEvent<T>;
        } catch {
          failed = true;
          res.destroy();
          reject(new Error(`watch stream: a line is not JSON: ${line.slice(0, 120)}`));
          return;
        }
        onEvent(e);
      }
    });
    res.on('end', () => {
      if (failed) return;
      const rest = buf.trim();
      if (rest) {
        try {
          onEvent(JSON.parse(rest) as WatchEvent<T>);
        } catch {
          // a truncated last line: the stream broke mid-event, nothing to deliver
        }
      }
      resolve();
    });
    res.on('error', (err) => {
      if (!failed) reject(err);
    });
    res.on('aborted', () => {
      if (!failed) reject(new Error('watch stream: connection closed'));
    });
    res.on('close', () => {
      if (!failed && !res.complete) reject(new Error('watch stream: connection closed'));
    });
  });
}
