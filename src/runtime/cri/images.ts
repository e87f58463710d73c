// imagePullPolicy as the kubelet applies it before creating a container
// (pkg/kubelet/images/image_manager.go): Always pulls, IfNotPresent pulls when the image is
// missing, Never only checks. Errors carry the kubelet's waiting reasons.
import type { Container } from 'kubernetes-types/core/v1';
import { defaultPullPolicy } from '../../manifest/defaults.js';
import { imageAlreadyPresent, neverPull, pulledImage, pullFailed, pullFailedUsingLocal, pullingImage } from '../image-events.js';
import { RuntimeError, type ContainerEvents } from '../types.js';
import { CriCallError, type CriClient } from './client.js';
import type { Image, PodSandboxConfig } from './types.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** A pull from a registry may take minutes; the kubelet has no deadline at all. */
const PULL_DEADLINE_MS = 10 * 60_000;

export function pullPolicyOf(container: Container): PullPolicy {
  const policy = container.imagePullPolicy;
  if (policy === 'Always' || policy === 'IfNotPresent' || policy === 'Never') return policy;
  return defaultPullPolicy(container.image);
}

/** The image as the runtime has it, or undefined when it is not present. */
export async function imageStatus(client: CriClient, image: string): Promise<Image | undefined> {
  const response = await client.call<{ image: Image | null }>('ImageService', 'ImageStatus', { image: { image } });
  return response.image ?? undefined;
}

/**
 * Makes sure `container.image` is present according to its pull policy. Throws RuntimeError
 * ErrImageNeverPull / ErrImagePull / InvalidImageName; a runtime that cannot be reached at all
 * surfaces as the CriCallError the caller maps.
 */
/**
 * Asks for the status of the pod's images while its sandbox is being created (the start path's
 * only wait that does not depend on the sandbox). ensureImage takes the answer if it is recent.
 */
export function prefetchImageStatus(client: CriClient, images: string[]): void {
  const now = Date.now();
  for (const image of images) {
    if (!image.trim()) continue;
    const promise = imageStatus(client, image).catch(() => undefined);
    recentStatus.set(image, { at: now, promise });
  }
}

const recentStatus = new Map<string, { at: number; promise: Promise<Image | undefined> }>();
const RECENT_STATUS_MS = 2000;

async function presentNow(client: CriClient, image: string): Promise<Image | undefined> {
  const recent = recentStatus.get(image);
  recentStatus.delete(image);
  const known = recent && Date.now() - recent.at < RECENT_STATUS_MS ? await recent.promise : undefined;
  return known ?? (await imageStatus(client, image));
}

/**
 * Deliberately kinder than the kubelet on a node that cannot reach its registry (edge boxes, air
 * gaps): when an `Always` pull fails but the image is there, the local copy is used and `onStale`
 * says so.
 */
export async function ensureImage(
  client: CriClient,
  container: Container,
  sandboxConfig: PodSandboxConfig,
  onStale?: (message: string) => void,
  events?: ContainerEvents,
): Promise<Image | undefined> {
  const image = container.image ?? '';
  if (image.trim() === '') {
    throw new RuntimeError('InvalidImageName', `container "${container.name}": image is empty; set spec.containers[].image`);
  }
  const policy = pullPolicyOf(container);
  if (policy !== 'Always') {
    const present = await presentNow(client, image);
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
    await client.call('ImageService', 'PullImage', { image: { image }, sandboxConfig }, PULL_DEADLINE_MS);
  } catch (err) {
    if (err instanceof CriCallError && !err.unavailable) {
      const message = `Failed to pull image "${image}": ${err.details}`;
      const local = policy === 'Always' ? await imageStatus(client, image).catch(() => undefined) : undefined;
      if (local) {
        onStale?.(`${message}; using the image already on the node`);
        pullFailedUsingLocal(events, image, err.details);
        return local;
      }
      pullFailed(events, message);
      throw new RuntimeError('ErrImagePull', message);
    }
    throw err;
  }
  const pulled = await imageStatus(client, image).catch(() => undefined);
  pulledImage(events, image, began, pulled?.size !== undefined ? Number(pulled.size) : undefined);
  return pulled;
}
