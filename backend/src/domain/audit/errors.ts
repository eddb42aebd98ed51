/** An audit entry was refused before it was written (bad shape, or details carrying forbidden data). */
export class AuditEntryError extends Error {
  override readonly name = 'AuditEntryError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
