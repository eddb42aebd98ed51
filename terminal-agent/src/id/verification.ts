/**
 * The offline identity checks (certificate chain, card signature) without the PC/SC transport:
 * the subpath `@citycard/terminal-agent/id` for services such as the backend that verify what a
 * terminal sends and must not load the PC/SC binding.
 */
export * from './cardCertificate.js';
export * from './errors.js';
