// Public surface of manifest/: bytes or files in, defaulted + identified + validated static pods
// (or problems that say what, where and how to fix) out.
export { type ManifestProblem, formatProblem, problemKey } from './problem.js';
export { MAX_MANIFEST_BYTES, type StaticIdentity, type DecodeResult } from './types.js';
export { decodePodManifest, decodePodListManifest } from './decode.js';
export { readPodManifestFile, type ManifestGate } from './read.js';
export { validatePod } from './validate.js';
export { toStaticPod, podFullName } from './identity.js';
