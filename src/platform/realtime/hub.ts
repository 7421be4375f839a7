/** A message published on a named channel, delivered to every subscriber on any API process. */
export type RealtimeListener = (channel: string, message: unknown) => void;

export interface RealtimeHub {
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns the function that ends this subscription. */
  subscribe(channel: string, listener: RealtimeListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
