// Reading the kernel's pseudo-files (/proc, cgroupfs) cheaply: small buffers, few files open at once.
export { readPseudoFile } from './read.js';
export { mapLimited } from './limited.js';
