// pki/: berth's private certificate authorities and the certificates they sign (the embedded
// API's serving certificate, the node API's serving certificate, the client certificate the
// embedded API presents to the node API), made with the `openssl` CLI and kept on disk.
export { ensureCa, type CaOptions, type CertificateAuthority } from './ca.js';
export { ensureLeaf, type IssuedCertificate, type LeafOptions } from './leaf.js';
export { requiredSans } from './sans.js';
