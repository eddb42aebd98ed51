/**
 * PINs chosen inside the HSM (production profile) leave it only on a PIN mailer, never towards the
 * station. `FilePinMailer` stands in for the mailer printer: one file per card, readable by the
 * HSM's user only, in a directory the operator treats like the printer room.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PinMailer {
  /** Delivers the PIN and PUK of card `cardNumber` (16 digits) to the cardholder's mailer. */
  deliver(cardNumber: string, pin: string, puk: string): void;
}

/** `length` uniformly random decimal digits. */
export function randomDigits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}

/** Writes `<dir>/<card number>.txt` with mode 0600 (the directory is created with mode 0700). */
export class FilePinMailer implements PinMailer {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  deliver(cardNumber: string, pin: string, puk: string): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.#dir, `${cardNumber}.txt`), `CityCard ${cardNumber}\nPIN ${pin}\nPUK ${puk}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  }
}
