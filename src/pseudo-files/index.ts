// Reading the kernel's pseudo-files (/proc, cgroupfs) cheaply: small buffers, few files open at once.
export { readPseudoFile } from './read.js';
export { mapLimited, PROC_SWEEP_FILES_IN_FLIGHT } from './limited.js';
