// The kubelet's image events (pkg/kubelet/images/image_manager.go) and its Created event, worded
// as the kubelet words them, for both engine runtimes.
import type { ContainerEvents } from './types.js';

export function pullingImage(events: ContainerEvents | undefined, image: string): void {
  events?.('Normal', 'Pulling', `Pulling image "${image}"`);
}

/** After a pull: how long it took (the kubelet's "including waiting" is the same here: pulls are not queued). */
export function pulledImage(events: ContainerEvents | undefined, image: string, startedAt: number, sizeBytes: number | undefined): void {
  const took = formatDuration(Date.now() - startedAt);
  const size = sizeBytes !== undefined && sizeBytes > 0 ? ` Image size: ${sizeBytes} bytes.` : '';
  events?.('Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting).${size}`);
}

export function imageAlreadyPresent(events: ContainerEvents | undefined, image: string): void {
  events?.('Normal', 'Pulled', `Container image "${image}" already present on machine`);
}

/**
 * berth's kinder path on a node that cannot reach its registry: an Always pull failed and the
 * local copy is used. Normal, since the container does start; the message says what failed.
 */
export function pullFailedUsingLocal(events: ContainerEvents | undefined, image: string, failure: string): void {
  events?.('Normal', 'Pulled', `Container image "${image}" already present on machine; pulling it failed, so the local copy is used: ${failure}`);
}

export function pullFailed(events: ContainerEvents | undefined, message: string): void {
  events?.('Warning', 'Failed', message);
}

export function neverPull(events: ContainerEvents | undefined, message: string): void {
  events?.('Warning', 'ErrImageNeverPull', message);
}

export function createdContainer(events: ContainerEvents | undefined, name: string): void {
  events?.('Normal', 'Created', `Created container ${name}`);
}

/** Go's time.Duration text as the kubelet prints it: 1.234s, 850ms, 2m3.5s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${trim(seconds.toFixed(3))}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${trim((seconds - minutes * 60).toFixed(3))}s`;
}

function trim(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}
