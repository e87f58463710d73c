// Public surface of manifest/: bytes or files in, defaulted + identified + validated static pods
// (or problems that say what, where and how to fix) out.
export { type ManifestProblem, type ManifestWarning, formatProblem, formatWarning, problemKey } from './problem.js';
export { MAX_MANIFEST_BYTES, type StaticIdentity, type DecodeResult } from './types.js';
export { decodePodManifest, decodePodListManifest } from './decode.js';
export { decodePodManifestOffThread, decodePodListManifestOffThread } from './off-thread.js';
export { PARSE_LIMITS } from './limits.js';
export { readPodManifestFile, type ManifestGate } from './read.js';
export { validatePod } from './validate.js';
export { podWarnings } from './warnings.js';
export { processRuntimeNotices } from './runtime-notes.js';
export { loadPodSchema, unknownFieldWarnings } from './unknown-fields.js';
export { toStaticPod, podFullName } from './identity.js';
export { parseQuantity } from './quantity.js';
