// imagePullPolicy over the Engine API: inspect, and pull (POST /images/create) when the policy says
// so, with the kubelet's waiting reasons (ErrImagePull, ErrImageNeverPull).
import type { Container } from 'kubernetes-types/core/v1';
import { imageAlreadyPresent, neverPull, pulledImage, pullFailed, pullFailedUsingLocal, pullingImage } from '../image-events.js';
import { RuntimeError, type ContainerEvents } from '../types.js';
import { EngineError, type EngineClient } from './client.js';
import type { ImageInspect } from './engine-types.js';

const PULL_TIMEOUT_MS = 10 * 60_000;

/** repository and tag (or digest reference) of an image reference; the tag defaults to latest. */
export function splitImage(image: string): { fromImage: string; tag?: string } {
  if (image.includes('@')) return { fromImage: image };
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon > slash) return { fromImage: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { fromImage: image, tag: 'latest' };
}

/** The container's policy, defaulted as the API server does: Always for :latest (or no tag), else IfNotPresent. */
export function pullPolicy(container: Container): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const image = container.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const { tag } = splitImage(image);
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export async function inspectImage(client: EngineClient, image: string): Promise<ImageInspect | undefined> {
  return client.json<ImageInspect>('GET', `/images/${image}/json`);
}

export async function pullImage(client: EngineClient, image: string): Promise<void> {
  const query = splitImage(image);
  let text: string;
  try {
    const res = await client.call('POST', '/images/create', { query, timeoutMs: PULL_TIMEOUT_MS });
    text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  } catch (err) {
    if (err instanceof EngineError) throw new RuntimeError('ErrImagePull', `Failed to pull image "${image}": ${err.message}`);
    throw err;
  }
  // A 200 answer is a progress stream; a failure is a line with "error" in it.
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let message: { error?: string; errorDetail?: { message?: string } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      continue;
    }
    const error = message.errorDetail?.message ?? message.error;
    if (error) throw new RuntimeError('ErrImagePull', `Failed to pull image "${image}": ${error}`);
  }
}

/**
 * Makes the image present as `policy` asks; returns its inspect. Deliberately kinder than the
 * kubelet on a node that cannot reach its registry (edge boxes, air gaps): when an `Always` pull
 * fails but the image is there, the local copy is used and `onStale` says so.
 */
export async function ensureImage(
  client: EngineClient,
  image: string,
  policy: string,
  onStale?: (message: string) => void,
  events?: ContainerEvents,
): Promise<ImageInspect | undefined> {
  if (policy !== 'Always') {
    const present = await inspectImage(client, image);
    if (present) {
      imageAlreadyPresent(events, image);
      return present;
    }
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      neverPull(events, message);
      throw new RuntimeError('ErrImageNeverPull', message);
    }
  }
  pullingImage(events, image);
  const began = Date.now();
  try {
    await pullImage(client, image);
  } catch (err) {
    if (!(err instanceof RuntimeError)) throw err;
    const local = policy === 'Always' ? await inspectImage(client, image) : undefined;
    if (!local) {
      pullFailed(events, err.message);
      throw err;
    }
    onStale?.(`${err.message}; using the image already on the node`);
    pullFailedUsingLocal(events, image, err.message);
    return local;
  }
  const pulled = await inspectImage(client, image);
  if (!pulled) {
    const message = `Failed to pull image "${image}": the engine reported success but has no such image`;
    pullFailed(events, message);
    throw new RuntimeError('ErrImagePull', message);
  }
  pulledImage(events, image, began, pulled.Size);
  return pulled;
}
