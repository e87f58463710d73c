// A unix socket that forwards to an engine's socket and can be taken away and brought back: the
// engine keeps running while the runtime under test sees its socket vanish and return.
import { rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class SocketProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly target: string,
  ) {}

  async start(): Promise<void> {
    await rm(this.path, { force: true });
    const server = createServer((downstream) => {
      const upstream = createConnection(this.target);
      for (const socket of [downstream, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      downstream.pipe(upstream);
      upstream.pipe(downstream);
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
    });
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolveListen());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    await rm(this.path, { force: true });
  }
}
