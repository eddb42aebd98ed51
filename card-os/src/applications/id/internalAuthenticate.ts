/**
 * INTERNAL AUTHENTICATE of the ID application (card interface spec §3):
 *
 * ```
 * 00 88 00 P2 Lc challenge 00      challenge 16 to 64 bytes, Le = 00 (256)
 * P2 = 01  card authentication: no PIN needed, proves a genuine card
 * P2 = 02  cardholder authentication: PIN verified since the last power on / SELECT
 * response: RSASSA-PKCS1-v1_5 SHA-256 over "CITYCARD-AUTH" ‖ P2 ‖ challenge, 256 bytes
 * ```
 * Answers: `9000` with the signature; `6A86` P1 not 00 or P2 not 01/02; `6700` challenge outside
 * 16 to 64 bytes or Le not 00; `6982` P2 02 without a verified PIN; `6985` no card key (not
 * personalized).
 */
import {
  AUTH_MODE,
  AUTH_SIGNATURE_LENGTH,
  MAX_AUTH_CHALLENGE,
  MIN_AUTH_CHALLENGE,
  SW,
  authSignedMessage,
  type CommandApdu,
} from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import type { InstalledApplication } from '../../runtime/installedApplication.js';
import { respond } from '../../runtime/response.js';
import { signWithCardKey } from './cardKey.js';

/** Store key of the card key and the PIN reference P2 02 requires. */
export interface InternalAuthenticateConfig {
  readonly keyName: string;
  readonly pinRef: number;
}

/**
 * Handle INTERNAL AUTHENTICATE with the key `config.keyName` of `app`. Throws `CardError` with the
 * status words above.
 */
export function internalAuthenticate(
  cmd: CommandApdu,
  ctx: CommandContext,
  app: InstalledApplication,
  config: InternalAuthenticateConfig,
): Buffer {
  const mode = cmd.p2;
  if (cmd.p1 !== 0x00 || (mode !== AUTH_MODE.card && mode !== AUTH_MODE.cardholder)) throw new CardError(SW.INCORRECT_P1P2);
  const n = cmd.data.length;
  if (n < MIN_AUTH_CHALLENGE || n > MAX_AUTH_CHALLENGE || cmd.le !== 256) throw new CardError(SW.WRONG_LENGTH);
  if (mode === AUTH_MODE.cardholder && !ctx.session.isVerified(config.pinRef)) {
    throw new CardError(SW.SECURITY_STATUS_NOT_SATISFIED, 'cardholder authentication needs the PIN');
  }
  const signature = signWithCardKey(ctx.store, app.secretKey(config.keyName), authSignedMessage(mode, cmd.data));
  if (signature === undefined) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'no card key');
  if (signature.length !== AUTH_SIGNATURE_LENGTH) throw new Error(`card key made a ${signature.length}-byte signature`);
  return respond(signature, SW.OK);
}
