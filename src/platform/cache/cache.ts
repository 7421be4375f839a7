/** A small key/value cache for JSON-serialisable values, in process or in Redis. */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Drops every key starting with `prefix` (used to invalidate a family of reads at once). */
  deletePrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}
