// Follows the Engine's /events stream for the `die` events of berth's containers. The stream can
// drop (engine restarted, socket removed): it is opened again with a growing delay, and every
// (re)connection is announced so that the runtime can look for exits it may have missed.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../log/index.js';
import type { EngineClient } from './client.js';
import type { EngineEvent } from './engine-types.js';
import { LABEL } from './labels.js';

const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

export interface DieWatcherOptions {
  client: EngineClient;
  nodeName: string;
  logger: Logger;
  /** A berth container of this node died. */
  onDie: (id: string) => void;
  /** The stream is (again) connected: exits while it was down are not in it. */
  onConnected: (reconnect: boolean) => void;
}

export class DieWatcher {
  private res: IncomingMessage | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = MIN_RETRY_MS;
  private connectedOnce = false;
  private firstAttempt: Promise<void> | undefined;

  constructor(private readonly o: DieWatcherOptions) {}

  /** Opens the stream; resolves once the first attempt succeeded or failed (it keeps retrying). */
  start(): Promise<void> {
    this.firstAttempt ??= this.connect();
    return this.firstAttempt;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.res?.destroy();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const filters = JSON.stringify({
      type: ['container'],
      // Podman's compat API matches its own name of the event (`died`) and reports it as `die`.
      event: ['die', 'died'],
      label: [`${LABEL.managed}=true`, `${LABEL.node}=${this.o.nodeName}`],
    });
    let res: IncomingMessage;
    try {
      res = await this.o.client.stream('GET', '/events', { query: { filters }, headerTimeoutMs: 10_000 });
    } catch (err) {
      this.o.logger.warn('cannot follow container engine events; retrying', { err: (err as Error).message, retryMs: this.retryMs });
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      res.destroy();
      return;
    }
    this.res = res;
    this.retryMs = MIN_RETRY_MS;
    const reconnect = this.connectedOnce;
    this.connectedOnce = true;
    if (reconnect) this.o.logger.info('following container engine events again');
    this.o.onConnected(reconnect);

    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) this.handle(line);
      }
    });
    const ended = (): void => {
      if (this.res !== res) return;
      this.res = undefined;
      if (this.closed) return;
      this.o.logger.warn('container engine event stream ended; reconnecting');
      this.scheduleReconnect();
    };
    res.once('end', ended);
    res.once('error', ended);
    res.once('close', ended);
  }

  private handle(line: string): void {
    let event: EngineEvent;
    try {
      event = JSON.parse(line) as EngineEvent;
    } catch {
      return;
    }
    const action = event.Action ?? event.status;
    // Checked here too: the filters are a request, and an engine may ignore some of them.
    if ((event.Type ?? 'container') !== 'container' || (action !== 'die' && action !== 'died')) return;
    const id = event.Actor?.ID ?? event.id;
    const attributes = event.Actor?.Attributes ?? {};
    if (attributes[LABEL.managed] !== undefined && attributes[LABEL.managed] !== 'true') return;
    if (attributes[LABEL.node] !== undefined && attributes[LABEL.node] !== this.o.nodeName) return;
    if (id) this.o.onDie(id);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref();
  }
}
