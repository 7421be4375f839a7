/** A message published on a named channel, delivered to every subscriber on any API process. */
export type RealtimeListener = (channel: string, message: unknown) => void;

/**
 * Publish/subscribe on named channels. Every implementation behaves the same way:
 * - subscribers receive the JSON form of a message (a Date arrives as its ISO string, `undefined`
 *   as null), never the publisher's object; a message JSON cannot carry (a bigint) is refused;
 * - messages reach each subscriber in the order they were published;
 * - a message published after `subscribe` resolved reaches that subscriber;
 * - each `subscribe` call is its own subscription, and ending one twice is harmless.
 * Subscribers of one channel may share one decoded message: they must not change it.
 */
export interface RealtimeHub {
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns the function that ends this subscription. */
  subscribe(channel: string, listener: RealtimeListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface HubOptions {
  /**
   * Told about a listener that threw or a message that could not be decoded (with its channel),
   * or a broken connection (without); delivery to the other listeners goes on. Defaults to a
   * process warning.
   */
  onError?: (err: unknown, channel?: string) => void;
}

/** The text a message travels as; `undefined` (which JSON cannot express) travels as null. */
export function encodeMessage(message: unknown): string {
  return JSON.stringify(message) ?? 'null';
}

export const defaultOnError = (err: unknown, channel?: string) => {
  process.emitWarning(err instanceof Error ? err : String(err), { code: 'REALTIME_DELIVERY', detail: channel });
};
