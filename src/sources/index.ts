export * from './types.js';
export { FileSource, FILE_SOURCE_STATE, type FileSourceOptions } from './file.js';
export { HttpSource, HTTP_SOURCE_STATE, type HttpSourceOptions } from './http.js';
export { parseManifestUrlHeader } from './url-header.js';
export { ignoredEntry, type IgnoreVerdict } from './ignore.js';
export { stablePod, stablePods, podContentKey, CONFIG_SEEN_ANNOTATION } from './stable.js';
