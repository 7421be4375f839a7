import type { Cache } from '../cache/cache.ts';
import type { RealtimeHub } from './hub.ts';

/**
 * State channels (a book's depth, a ticker): the publisher sends the whole new state with its
 * version; each API process conflates what it receives to at most a configured rate per channel and
 * sends its clients a snapshot on subscribe, then numbered deltas. See docs/realtime.md.
 */

/** How a state travels through the hub: the whole state and the version it has at the source. */
export interface StateEnvelope {
  $state: unknown;
  /** Rises with every change at the source; an older version than the one held is ignored. */
  $version: number;
}

export interface VersionedState {
  version: number;
  state: unknown;
}

export function isStateEnvelope(message: unknown): message is StateEnvelope {
  return (
    typeof message === 'object' &&
    message !== null &&
    '$state' in message &&
    typeof (message as { $version?: unknown }).$version === 'number'
  );
}

const STATE_KEY = 'rt:state:';
const STATE_TTL_MS = 7 * 24 * 3600_000;

/**
 * Publishes `state` as the new state of `channel` at `version`, and keeps it in `cache` so an API
 * process whose first client subscribes later can start from it.
 */
export async function publishState(
  hub: RealtimeHub,
  cache: Cache,
  channel: string,
  version: number,
  state: unknown,
  onCacheError: (err: unknown) => void = () => undefined,
): Promise<void> {
  // One publisher delivers a channel's changes in version order (the outbox keeps order per
  // aggregate), so the latest write is the newest state. The cached copy only seeds processes whose
  // first client comes later: a cache outage is reported, never a reason to redeliver the change.
  await Promise.all([
    cache
      .set(STATE_KEY + channel, { version, state } satisfies VersionedState, STATE_TTL_MS)
      .catch((err: unknown) => onCacheError(err)),
    hub.publish(channel, { $state: state, $version: version } satisfies StateEnvelope),
  ]);
}

/** The latest state `publishState` kept for `channel`, if any. */
export function loadState(cache: Cache, channel: string): Promise<VersionedState | undefined> {
  return cache.get<VersionedState>(STATE_KEY + channel);
}

interface Level {
  price: number;
  quantity: number;
}

type Book = { bids: Level[]; asks: Level[] } & Record<string, unknown>;

function isBook(state: unknown): state is Book {
  return (
    typeof state === 'object' &&
    state !== null &&
    Array.isArray((state as Book).bids) &&
    Array.isArray((state as Book).asks)
  );
}

/** Levels of `next` that differ from `prev`, and `prev`'s levels now gone (with quantity 0). */
function changedLevels(prev: Level[], next: Level[]): Level[] {
  const before = new Map(prev.map((l) => [l.price, JSON.stringify(l)]));
  const changed: Level[] = next.filter((l) => before.get(l.price) !== JSON.stringify(l));
  const after = new Set(next.map((l) => l.price));
  for (const l of prev) if (!after.has(l.price)) changed.push({ ...l, quantity: 0 });
  return changed;
}

/**
 * What a client holding `prev` needs to reach `next`, or undefined when nothing changed. A book
 * (`bids` and `asks` arrays of price levels) travels as its changed levels, a removed level with
 * quantity 0, plus any other field that changed; any other state travels whole.
 */
export function diffState(prev: unknown, next: unknown): unknown {
  if (isBook(prev) && isBook(next)) {
    const delta: Record<string, unknown> = {
      bids: changedLevels(prev.bids, next.bids),
      asks: changedLevels(prev.asks, next.asks),
    };
    let changed = (delta.bids as Level[]).length > 0 || (delta.asks as Level[]).length > 0;
    for (const [key, value] of Object.entries(next)) {
      if (key === 'bids' || key === 'asks') continue;
      if (JSON.stringify(value) !== JSON.stringify(prev[key])) {
        delta[key] = value;
        changed = true;
      }
    }
    return changed ? delta : undefined;
  }
  return JSON.stringify(prev) === JSON.stringify(next) ? undefined : next;
}

/** Applies a delta from `diffState` to `prev` (what a client does; used by tests and the bench). */
export function applyDelta(prev: unknown, delta: unknown): unknown {
  if (!isBook(prev) || !isBook(delta)) return delta;
  const merge = (levels: Level[], changes: Level[], descending: boolean) => {
    const byPrice = new Map(levels.map((l) => [l.price, l]));
    for (const c of changes) {
      if (c.quantity === 0) byPrice.delete(c.price);
      else byPrice.set(c.price, c);
    }
    return [...byPrice.values()].sort((a, b) => (descending ? b.price - a.price : a.price - b.price));
  };
  return {
    ...prev,
    ...delta,
    bids: merge(prev.bids, delta.bids, true),
    asks: merge(prev.asks, delta.asks, false),
  };
}

export interface StateStreamOptions {
  channel: string;
  /** Least time between two deltas of this channel (1000 / the configured rate). */
  minIntervalMs: number;
  /** Sends one encoded delta frame to every current subscriber of the channel. */
  emit: (frame: string) => void;
}

/**
 * One state channel as one API process serves it: the state its clients hold (`sent`, numbered
 * `seq`) and the newest state received (`latest`). Deltas leave at most every `minIntervalMs`; the
 * newest state wins, an older version is ignored (never reorders), and after the last change the
 * clients always end at the newest state.
 */
export class StateStream {
  seq = 0;
  version = 0;
  private sent: unknown = null;
  private latest: VersionedState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastEmitAt = -Infinity;
  private snapshotFrame: string | undefined;

  constructor(private readonly opts: StateStreamOptions) {}

  /** Takes a state received from the hub (or loaded at start); ignored when older than the one held. */
  accept(version: number, state: unknown): void {
    if (version < (this.latest?.version ?? this.version)) return;
    this.latest = { version, state };
    if (this.timer) return;
    const wait = this.lastEmitAt + this.opts.minIntervalMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Starts from a state without sending a delta (the state held before any client was told). */
  seed(version: number, state: unknown): void {
    if (this.seq > 0 || version < (this.latest?.version ?? this.version)) return;
    if (this.latest) return this.accept(version, state);
    this.version = version;
    this.sent = state;
    this.snapshotFrame = undefined;
  }

  /** The frame a new subscriber gets: the state every current subscriber holds, with its number. */
  snapshot(): string {
    this.snapshotFrame ??= JSON.stringify({
      type: 'snapshot',
      channel: this.opts.channel,
      seq: this.seq,
      version: this.version,
      data: this.sent,
    });
    return this.snapshotFrame;
  }

  private flush() {
    this.timer = undefined;
    const latest = this.latest;
    this.latest = undefined;
    if (!latest) return;
    const delta = diffState(this.sent, latest.state);
    this.version = latest.version;
    this.sent = latest.state;
    this.snapshotFrame = undefined;
    if (delta === undefined) return;
    this.seq += 1;
    this.lastEmitAt = performance.now();
    this.opts.emit(
      JSON.stringify({ type: 'delta', channel: this.opts.channel, seq: this.seq, version: this.version, data: delta }),
    );
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
