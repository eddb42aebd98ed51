/**
 * END PERSONALIZATION's check that complete data also makes a working citizen card: every file
 * decodes as its application reads it, the purse and the ID application name the same card, and
 * the certificate certifies the key the card generated. (The secure channel proves the data came
 * from the HSM's session; this catches a station that assembled the wrong pieces.)
 */
import { X509Certificate } from 'node:crypto';
import { ID_AID, decodeCardInfo, decodeCardholder } from '@citycard/protocols';
import { cardPublicKey } from '../../applications/id/cardKey.js';
import { ID_CARD_INFO_EF, ID_CARD_KEY_NAME, ID_CARDHOLDER_EF, ID_CERTIFICATE_EF } from '../../applications/id/idApplication.js';
import { EP_ISSUER_KEY, EP_LIMITS_KEY } from '../../applications/ep/epStore.js';
import { decodeEpIssuerData } from '../../applications/ep/issuerData.js';
import { decodePurseLimits } from '../../applications/ep/purseLimits.js';
import { efKey, secretKeyKey } from '../../fs/storeKeys.js';
import type { PersistentStore } from '../../storage/index.js';

const ID_AID_HEX = ID_AID.toString('hex').toUpperCase();

/** Why the citizen card data in `store` does not hold together, or undefined when it does. Never throws. */
export function citizenCardInconsistency(store: PersistentStore): string | undefined {
  const read = (key: string): Buffer => store.get(key) ?? Buffer.alloc(0);
  let cardNumber: string;
  let epCardNumber: string;
  try {
    cardNumber = decodeCardInfo(read(efKey(ID_AID_HEX, ID_CARD_INFO_EF.fid))).cardNumber;
    decodeCardholder(read(efKey(ID_AID_HEX, ID_CARDHOLDER_EF.fid)));
    epCardNumber = decodeEpIssuerData(read(EP_ISSUER_KEY)).cardNumber;
    decodePurseLimits(read(EP_LIMITS_KEY));
  } catch (err) {
    return `a file does not decode: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (epCardNumber !== cardNumber) return 'the EP issuer data and the card info name different cards';
  let certified: Buffer;
  let publicKey: Buffer | undefined;
  try {
    certified = new X509Certificate(read(efKey(ID_AID_HEX, ID_CERTIFICATE_EF.fid))).publicKey.export({ type: 'spki', format: 'der' });
    publicKey = cardPublicKey(store, secretKeyKey(ID_AID_HEX, ID_CARD_KEY_NAME));
  } catch (err) {
    return `the certificate or the card key does not parse: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (publicKey === undefined || !certified.equals(publicKey)) return 'the certificate does not certify the card key';
  return undefined;
}
