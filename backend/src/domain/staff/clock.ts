/** The time source the domain reads; tests pass a fixed or stepped one. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export function addMinutes(d: Date, minutes: number): Date {
  return new Date(d.getTime() + minutes * 60_000);
}
