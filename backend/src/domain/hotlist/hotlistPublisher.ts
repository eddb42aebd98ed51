/**
 * Port through which each new hotlist entry reaches online terminals at once; the Redis adapter
 * is in `realtime/`. The message is the signed one-entry delta (base = version - 1).
 */
export interface HotlistPublisher {
  publish(signedDelta: Buffer): Promise<void>;
}
