/**
 * The market's pure matching core against the npm package `nodejs-order-book` on one generated
 * order stream (limit GTC/IOC/FOK, market and cancel operations around a drifting mid price), in one
 * process and one run: ops/s of each and the ratio. Both books get the same operations with
 * self-trade prevention on (cancel the resting order); this engine takes bigint prices, the other
 * numbers. Market orders get a protection limit wide enough (50 %) never to bind here, because the
 * other book has none. The final books are compared to show both did the same work.
 *
 *   npm run bench:market:engine
 *   BENCH_OPS=500000 BENCH_ROUNDS=5 npm run bench:market:engine
 */
import {
  OrderBook as PeerBook,
  SelfTradePreventionMode,
  Side as PeerSide,
  type LimitOrderOptions,
} from 'nodejs-order-book';
import { OrderBook } from '../src/modules/market/engine/book.ts';
import type { IncomingOrder, Side } from '../src/modules/market/engine/types.ts';

const OPS = Number(process.env.BENCH_OPS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEED = Number(process.env.BENCH_SEED ?? 42);
const OWNERS = 200;

type Op =
  | { kind: 'limit'; id: string; owner: string; side: Side; price: number; qty: number; tif: 'GTC' | 'IOC' | 'FOK' }
  | { kind: 'market'; id: string; owner: string; side: Side; qty: number }
  | { kind: 'cancel'; id: string };

/** mulberry32: small, fast and good enough to make a reproducible stream. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(count: number, seed: number): Op[] {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const ops: Op[] = [];
  const live: string[] = [];
  let mid = 10_000;
  for (let i = 0; i < count; i++) {
    mid = Math.max(1_000, mid + int(5) - 2);
    const roll = rand();
    const side: Side = rand() < 0.5 ? 'buy' : 'sell';
    const owner = `u${int(OWNERS)}`;
    if (roll < 0.25 && live.length > 0) {
      // Cancel a random earlier order; it may have been filled since, which both books must shrug off.
      const at = int(live.length);
      const id = live[at] ?? '';
      live[at] = live[live.length - 1] ?? '';
      live.pop();
      ops.push({ kind: 'cancel', id });
    } else if (roll < 0.37) {
      ops.push({ kind: 'market', id: `m${i}`, owner, side, qty: 1 + int(20) });
    } else {
      // Mostly passive prices with about a quarter crossing the mid.
      const offset = int(40) - 10;
      const price = side === 'buy' ? mid - offset : mid + offset;
      const tif = roll < 0.42 ? 'IOC' : roll < 0.45 ? 'FOK' : 'GTC';
      const id = `o${i}`;
      ops.push({ kind: 'limit', id, owner, side, price, qty: 1 + int(100), tif });
      if (tif === 'GTC') live.push(id);
    }
  }
  return ops;
}

type Prepared<T> = (book: T) => void;

function prepareOurs(ops: readonly Op[]): Prepared<OrderBook>[] {
  return ops.map((op): Prepared<OrderBook> => {
    if (op.kind === 'cancel') return (b) => void b.cancel(op.id);
    const base = { id: op.id, ownerId: op.owner, side: op.side, quantity: BigInt(op.qty) };
    const order: IncomingOrder =
      op.kind === 'market'
        ? { ...base, type: 'market', timeInForce: 'IOC' }
        : { ...base, type: 'limit', price: BigInt(op.price), timeInForce: op.tif };
    return (b) => void b.place(order);
  });
}

function preparePeer(ops: readonly Op[]): Prepared<PeerBook>[] {
  const stpMode = SelfTradePreventionMode.EXPIRE_MAKER;
  const side = (s: Side) => (s === 'buy' ? PeerSide.BUY : PeerSide.SELL);
  return ops.map((op): Prepared<PeerBook> => {
    if (op.kind === 'cancel') return (b) => void b.cancel(op.id);
    if (op.kind === 'market') {
      const options = { side: side(op.side), size: op.qty, accountId: op.owner, stpMode };
      return (b) => void b.market(options);
    }
    const options: LimitOrderOptions = {
      id: op.id,
      side: side(op.side),
      size: op.qty,
      price: op.price,
      // The package's TimeInForce enum is not exported; its values are these strings.
      timeInForce: op.tif as LimitOrderOptions['timeInForce'],
      accountId: op.owner,
      stpMode,
    };
    return (b) => void b.limit(options);
  });
}

function time<T>(make: () => T, steps: readonly Prepared<T>[]): { opsPerSec: number; book: T } {
  const book = make();
  const start = process.hrtime.bigint();
  for (const step of steps) step(book);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { opsPerSec: steps.length / seconds, book };
}

/** Both final books as "price:volume" lines per side, to show they did the same work. */
function fingerprintOurs(book: OrderBook): string {
  const d = book.depth(Number.MAX_SAFE_INTEGER);
  const side = (levels: typeof d.bids) =>
    levels
      .map((l) => `${l.price}:${l.quantity}`)
      .sort()
      .join(',');
  return `${side(d.bids)}|${side(d.asks)}`;
}

function fingerprintPeer(book: PeerBook): string {
  const [asks, bids] = book.depth();
  const side = (levels: Array<[number, number]>) =>
    levels
      .map(([p, v]) => `${p}:${v}`)
      .sort()
      .join(',');
  return `${side(bids)}|${side(asks)}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);

const ops = generate(OPS, SEED);
const counts = { limit: 0, market: 0, cancel: 0 };
for (const op of ops) counts[op.kind] += 1;
const ours = prepareOurs(ops);
const peer = preparePeer(ops);
const makeOurs = () => new OrderBook({ tickSize: 1n, marketProtectionBps: 5_000n });
const makePeer = () => new PeerBook();

// One warm-up round each so both run optimised code, then alternate to share any drift fairly.
time(makeOurs, ours);
time(makePeer, peer);
const oursRates: number[] = [];
const peerRates: number[] = [];
let sameBook = true;
let restingOrders = 0;
for (let r = 0; r < ROUNDS; r++) {
  const a = r % 2 === 0 ? time(makeOurs, ours) : null;
  const p = time(makePeer, peer);
  const b = a ?? time(makeOurs, ours);
  oursRates.push(b.opsPerSec);
  peerRates.push(p.opsPerSec);
  sameBook &&= fingerprintOurs(b.book) === fingerprintPeer(p.book);
  restingOrders = b.book.size;
}

const o = median(oursRates);
const p = median(peerRates);
const pct = (n: number) => `${((100 * n) / ops.length).toFixed(0)} %`;
console.log(`market matching core: ${ops.length.toLocaleString('en-US')} operations, seed ${SEED}`);
console.log(`  mix: limit ${pct(counts.limit)}, market ${pct(counts.market)}, cancel ${pct(counts.cancel)}`);
console.log(`  this engine (bigint)        ${fmt(o)} ops/s  (median of ${ROUNDS} rounds)`);
console.log(`  nodejs-order-book 10.1.1    ${fmt(p)} ops/s  (median of ${ROUNDS} rounds)`);
console.log(`  ratio this / peer           ${(o / p).toFixed(2).padStart(12)}×`);
console.log(`  final books identical: ${sameBook ? 'yes' : 'no'} (${restingOrders} resting orders)`);
