import type { Duplex } from 'node:stream';

/** Written queue entries kept before the queue is compacted. */
const COMPACT_AFTER = 4096;

/**
 * The server side of one WebSocket text message, header included (RFC 6455 §5.2: FIN, text opcode,
 * unmasked). Built once per message and written as it is to every subscriber's socket.
 */
export function encodeFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + n);
  frame[0] = 0x81;
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/** What the fan-out needs of one client connection. */
export interface Peer {
  /** Frames due to this client, written together at its next turn. */
  pending: Buffer[];
  /** Waiting in the fan-out's queue. */
  queued: boolean;
  /** Writes `frames` to the client in one go (or drops a slow client). */
  write(frames: Buffer[]): void;
}

/**
 * Writes frames to many clients without holding the event loop for the whole fan-out: a message
 * only appends its (shared) frame to each recipient's list; the writes happen in chunks of
 * `chunkSize` clients with a turn of the event loop between chunks, so HTTP requests interleave.
 * A client due several frames by its turn gets them in one write. Each client's frames keep their
 * order.
 */
export class Fanout {
  private queue: Peer[] = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly chunkSize = 256) {}

  /** Queues `frame` for every peer in `peers`. */
  deliver(peers: Iterable<Peer>, frame: Buffer): void {
    for (const peer of peers) this.push(peer, frame);
  }

  /** Queues `frame` for one peer (answers to its own requests go through here too, to keep order). */
  push(peer: Peer, frame: Buffer): void {
    peer.pending.push(frame);
    if (peer.queued) return;
    peer.queued = true;
    this.queue.push(peer);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain() {
    const end = Math.min(this.queue.length, this.head + this.chunkSize);
    for (; this.head < end; this.head += 1) {
      const peer = this.queue[this.head] as Peer;
      peer.queued = false;
      const frames = peer.pending;
      peer.pending = [];
      if (frames.length > 0) peer.write(frames);
    }
    if (this.head < this.queue.length) {
      // Under a steady fan-out the queue never empties: drop the written part now and then.
      if (this.head >= COMPACT_AFTER) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      setImmediate(() => this.drain());
      return;
    }
    this.queue = [];
    this.head = 0;
    this.scheduled = false;
  }
}

/** Writes `frames` to `socket`, as one system call when there are several. */
export function writeFrames(socket: Duplex, frames: Buffer[]): void {
  if (frames.length === 1) {
    socket.write(frames[0] as Buffer);
    return;
  }
  socket.cork();
  for (const frame of frames) socket.write(frame);
  socket.uncork();
}
