// A probe's or hook's port: a number, or the name of one of the container's ports (as upstream's
// extractPort does, a name that matches no port is an error of the prober, not a probe failure).
import type { Container } from 'kubernetes-types/core/v1';

export class PortError extends Error {}

export function resolvePort(port: number | string | undefined, container: Container): number {
  if (typeof port === 'number') return checked(port, container);
  if (port === undefined || port === '') throw new PortError(`no port given (container ${container.name})`);
  if (/^\d+$/.test(port)) return checked(Number(port), container);
  const named = (container.ports ?? []).find((p) => p.name === port);
  if (!named) throw new PortError(`couldn't find port: ${port} in container ${container.name} (name it in spec.containers[].ports or use a number)`);
  return checked(named.containerPort, container);
}

function checked(n: number, container: Container): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new PortError(`invalid port number: ${n} (container ${container.name})`);
  return n;
}

/** `host:port`, with IPv6 literals in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
