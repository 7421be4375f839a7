/**
 * One load-client process of `bench/realtime.ts`: opens its share of WebSocket subscribers to one
 * channel and records, per subscriber, when each step's change reached it. Driven over IPC:
 *
 *   parent → { op: 'open', urls, count, channel, kind, marker }   → { op: 'ready', opened }
 *   parent → { op: 'finish', sentAt, steps }                         → { op: 'result', latencies, missed, … }
 *
 * Trades: the k-th trade a subscriber receives is step k. Book: the marker level's quantity says
 * which step the book has reached (a conflated delta covers the steps it skipped).
 */
import WebSocket from 'ws';

interface OpenCommand {
  op: 'open';
  urls: string[];
  count: number;
  channel: string;
  kind: 'trades' | 'book';
  /** Book runs: the ask level every step takes one unit from, and its quantity before step 0. */
  marker: { price: number; initial: number };
  maxSteps: number;
}

interface FinishCommand {
  op: 'finish';
  sentAt: number[];
  steps: number;
}

const now = () => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
let received: Float64Array = new Float64Array(0);
let maxSteps = 0;
let closedEarly = 0;

function open(cmd: OpenCommand) {
  maxSteps = cmd.maxSteps;
  received = new Float64Array(cmd.count * maxSteps).fill(Number.NaN);
  let ready = 0;
  let started = 0;
  const openOne = (i: number) => {
    const socket = new WebSocket(cmd.urls[i % cmd.urls.length] as string, {
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
    });
    sockets.push(socket);
    let trades = 0;
    let reached = -1;
    let subscribed = false;
    const markReady = () => {
      if (subscribed) return;
      subscribed = true;
      ready += 1;
      if (started < cmd.count) openOne(started++);
      if (ready === cmd.count) process.send?.({ op: 'ready', opened: ready });
    };
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      if (cmd.kind === 'trades') {
        if (text.startsWith('{"type":"message"')) {
          if (trades < maxSteps) received[i * maxSteps + trades] = now();
          trades += 1;
        } else if (text.includes('"subscribed"')) markReady();
        else if (text.startsWith('{"type":"welcome"'))
          socket.send(JSON.stringify({ op: 'subscribe', channel: cmd.channel }));
        return;
      }
      const frame = JSON.parse(text) as { type: string; data?: { asks?: { price: number; quantity: number }[] } };
      if (frame.type === 'welcome') socket.send(JSON.stringify({ op: 'subscribe', channel: cmd.channel }));
      if (frame.type === 'snapshot') markReady();
      if (frame.type !== 'delta') return;
      const level = frame.data?.asks?.find((l) => l.price === cmd.marker.price);
      if (!level) return;
      const step = cmd.marker.initial - level.quantity - 1;
      const at = now();
      for (let s = reached + 1; s <= step && s < maxSteps; s += 1) received[i * maxSteps + s] = at;
      reached = Math.max(reached, step);
    });
    socket.on('close', () => {
      if (subscribed) return;
      // A subscriber that never got in counts as done (and as missing every message).
      closedEarly += 1;
      markReady();
    });
    socket.on('error', () => undefined);
  };
  // A few hundred handshakes in flight at a time; each finished one starts the next.
  for (; started < Math.min(cmd.count, 200); started += 1) openOne(started);
}

function finish(cmd: FinishCommand) {
  const latencies: number[] = [];
  let missed = 0;
  for (let i = 0; i < sockets.length; i += 1) {
    for (let s = 0; s < cmd.steps; s += 1) {
      const at = received[i * maxSteps + s] as number;
      if (Number.isNaN(at)) missed += 1;
      else latencies.push(Math.round((at - (cmd.sentAt[s] as number)) * 10) / 10);
    }
  }
  // Extra trades beyond the steps would mean a message delivered twice.
  process.send?.({
    op: 'result',
    latencies,
    missed,
    closedEarly,
    open: sockets.filter((s) => s.readyState === 1).length,
  });
  for (const s of sockets) s.terminate();
  setTimeout(() => process.exit(0), 100);
}

process.on('message', (cmd: OpenCommand | FinishCommand) => {
  if (cmd.op === 'open') open(cmd);
  else finish(cmd);
});
