export { cardCertificateIssuer, createCityCa, issueCardCertificate } from './cityCa.js';
export type { CardCertificateRequest, CityCa, CreateCityCaOptions } from './cityCa.js';
export { loadOrCreateTestCa, TEST_CA_CERTIFICATE_FILE, TEST_CA_KEY_FILE } from './testCaDirectory.js';
export { CaDirectoryError, CertificateAuthorityError } from './errors.js';
