import { uuidv7 } from 'uuidv7';
import { afterCommit, type Db } from '../../platform/db/tx.ts';
import { recordEvents, type NewEvent } from '../../platform/events/index.ts';
import { business, countValue } from '../../platform/metrics/metrics.ts';
import { userChannel } from '../../platform/realtime/ws.ts';
import { screenFill } from '../fraud/index.ts';
import { COIN, balances, systemShard, transfer, walletAccountId, type Leg } from '../ledger/index.ts';
import {
  CANDLE_INTERVALS,
  bucketStart,
  feeForFill,
  type DepthLevel,
  type Fill,
  type FeeSchedule,
} from './engine/index.ts';
import * as repo from './repo.ts';
import type { CandleRow, OrderRow, TradeRow, VariantRef } from './repo.ts';

/** Counts an accepted order on `/metrics` once `tx` commits. */
export function countOrder(tx: Db, order: { side: string; type: string }): void {
  afterCommit(tx, () => business.orders.inc({ side: order.side, type: order.type }));
}

/** Counts a settled fill and its volume on `/metrics` once `tx` commits. */
export function countFill(tx: Db, fill: Fill): void {
  afterCommit(tx, () => {
    business.fills.inc();
    countValue(business.tradedQuantity, fill.quantity);
    countValue(business.tradedValue, fill.price * fill.quantity);
  });
}

/** Realtime channels of a book; `cardId` is the variant id the book trades. */
export const marketChannels = {
  trades: (cardId: string) => `market.trades.${cardId}`,
  ticker: (cardId: string) => `market.ticker.${cardId}`,
  book: (cardId: string) => `market.book.${cardId}`,
  candles: (cardId: string, interval: string) => `market.candles.${cardId}.${interval}`,
};

/** Outbox event types; each payload names the channel it is published on. */
export const MARKET_EVENTS = {
  publish: 'market.publish',
  /** A variant's book or trades changed (cached market data of it is stale). */
  changed: 'market.changed',
} as const;

/** Emitted once per committed change of a variant's book or trades. */
export const changedEvent = (variantId: string, traded: boolean): NewEvent => ({
  type: MARKET_EVENTS.changed,
  aggregateType: 'market.book',
  aggregateId: variantId,
  payload: { variantId, traded },
});

export interface PublishPayload {
  channel: string;
  message: Record<string, unknown>;
}

/** What a `market.publish` event carries: every realtime message of one change, in order. */
export interface PublishBundle {
  messages: PublishPayload[];
}

export const publishEvent = (variantId: string, channel: string, message: Record<string, unknown>): NewEvent => ({
  type: MARKET_EVENTS.publish,
  aggregateType: 'market.book',
  aggregateId: variantId,
  payload: { channel, message } satisfies PublishPayload,
});

/**
 * Records one change's events in its transaction, with its realtime messages bundled into a single
 * `market.publish` event (a fill alone has a dozen), so delivery costs one outbox round per change.
 */
export async function recordMarketEvents(tx: Db, variantId: string, events: NewEvent[]): Promise<void> {
  const messages = events.filter((e) => e.type === MARKET_EVENTS.publish).map((e) => e.payload as PublishPayload);
  const others = events.filter((e) => e.type !== MARKET_EVENTS.publish);
  const bundle: NewEvent[] =
    messages.length === 0
      ? []
      : [
          {
            type: MARKET_EVENTS.publish,
            aggregateType: 'market.book',
            aggregateId: variantId,
            payload: { messages } satisfies PublishBundle,
          },
        ];
  await recordEvents(tx, [...others, ...bundle]);
}

/** The commission terms an order was placed under. */
export function orderFees(o: Pick<OrderRow, 'feeRateBps' | 'minimumFee'>, payer: FeeSchedule['payer']): FeeSchedule {
  return { rateBps: BigInt(o.feeRateBps), minimumFee: o.minimumFee, payer };
}

/**
 * What one fill moves and charges, without I/O: the ledger legs (cards from the seller's escrow to
 * the buyer, coins less the seller's fee to the seller, the fee to `feeAccount`) and each side's
 * fee. Applies the fill to both orders (filled amounts, remaining, fee paid, status).
 */
export function applyFill(
  fill: Fill,
  taker: OrderRow,
  maker: OrderRow,
  variant: VariantRef,
  fees: FeeSchedule,
  feeAccount: string,
): {
  legs: Leg[];
  buyer: OrderRow;
  seller: OrderRow;
  sellerFee: bigint;
  notional: bigint;
  /** The trade row, less its time. */
  trade: Omit<TradeRow, 'ts'>;
} {
  const asset = variant.asset;
  const [buyer, seller] = fill.takerSide === 'buy' ? [taker, maker] : [maker, taker];
  const notional = fill.price * fill.quantity;
  // The paying order's own terms: a buy order's escrow was sized on them, so it always covers the fee.
  const payerOrder = fees.payer === 'buyer' ? buyer : seller;
  const owed = feeForFill(payerOrder.filledNotional, notional, orderFees(payerOrder, fees.payer));
  // A seller never pays more than the fill brings in (a minimum fee above a tiny notional).
  const fee = fees.payer === 'seller' && owed > notional ? notional : owed;
  const [buyerFee, sellerFee] = fees.payer === 'buyer' ? [fee, 0n] : [0n, fee];
  const legs: Leg[] = [
    { from: seller.escrowAccountId, to: walletAccountId(buyer.ownerId), asset, amount: fill.quantity },
    ...(notional > sellerFee
      ? [
          {
            from: buyer.escrowAccountId,
            to: walletAccountId(seller.ownerId),
            asset: COIN,
            amount: notional - sellerFee,
          },
        ]
      : []),
    ...(fee > 0n ? [{ from: buyer.escrowAccountId, to: feeAccount, asset: COIN, amount: fee }] : []),
  ];
  for (const o of [buyer, seller]) {
    o.filledQuantity += fill.quantity;
    o.filledNotional += notional;
    o.remaining -= fill.quantity;
    if (o.remaining === 0n) o.status = 'filled';
  }
  buyer.feePaid += buyerFee;
  seller.feePaid += sellerFee;
  const trade = {
    id: uuidv7(),
    variantId: variant.id,
    makerOrderId: maker.id,
    takerOrderId: taker.id,
    makerOwnerId: maker.ownerId,
    takerOwnerId: taker.ownerId,
    takerSide: fill.takerSide,
    price: fill.price,
    quantity: fill.quantity,
    buyerFee,
    sellerFee,
  };
  return { legs, buyer, seller, sellerFee, notional, trade };
}

/** The trade's public message and each party's fill message. */
export function tradeEvents(trade: TradeRow, buyer: OrderRow, seller: OrderRow): NewEvent[] {
  const message = {
    type: 'trade',
    id: trade.id,
    cardId: trade.variantId,
    price: Number(trade.price),
    quantity: Number(trade.quantity),
    takerSide: trade.takerSide,
    ts: trade.ts.toISOString(),
  };
  return [
    publishEvent(trade.variantId, marketChannels.trades(trade.variantId), message),
    ...[buyer, seller].map((o) =>
      publishEvent(trade.variantId, userChannel(o.ownerId), { ...message, type: 'fill', orderId: o.id }),
    ),
  ];
}

export const candleEvent = (c: CandleRow): NewEvent =>
  publishEvent(c.variantId, marketChannels.candles(c.variantId, c.interval), {
    type: 'candle',
    cardId: c.variantId,
    interval: c.interval,
    start: c.bucketStart.toISOString(),
    open: Number(c.open),
    high: Number(c.high),
    low: Number(c.low),
    close: Number(c.close),
    volume: Number(c.volume),
    trades: c.trades,
  });

/**
 * A change's book, ticker and order-status messages and its `changed` event, from the book's depth
 * after the change (best levels first) and the orders it touched.
 */
export function bookChangeEvents(
  variantId: string,
  depth: { bids: readonly DepthLevel[]; asks: readonly DepthLevel[] },
  touched: Iterable<OrderRow>,
  traded: boolean,
): NewEvent[] {
  const level = (l: DepthLevel) => ({ price: Number(l.price), quantity: Number(l.quantity), orders: l.orders });
  const best = (levels: readonly DepthLevel[]) => (levels[0] ? Number(levels[0].price) : null);
  const events: NewEvent[] = [
    changedEvent(variantId, traded),
    publishEvent(variantId, marketChannels.book(variantId), {
      type: 'book',
      cardId: variantId,
      bids: depth.bids.map(level),
      asks: depth.asks.map(level),
    }),
    publishEvent(variantId, marketChannels.ticker(variantId), {
      type: 'ticker',
      cardId: variantId,
      bestBid: best(depth.bids),
      bestAsk: best(depth.asks),
    }),
  ];
  for (const o of touched) {
    events.push(publishEvent(variantId, userChannel(o.ownerId), { type: 'order', orderId: o.id, status: o.status }));
  }
  return events;
}

/** Moves the fill's cards, coins and fee through the ledger and records the trade and its candles. */
export async function settleFill(
  tx: Db,
  variant: VariantRef,
  fill: Fill,
  orders: Map<string, OrderRow>,
  fees: FeeSchedule,
  replay: { at?: Date; replay?: boolean } = {},
): Promise<NewEvent[]> {
  const { at } = replay;
  const maker = orders.get(fill.makerOrderId);
  const taker = orders.get(fill.takerOrderId);
  if (!maker || !taker) throw new Error('fill names an order that was not loaded');
  const applied = applyFill(fill, taker, maker, variant, fees, systemShard('fees', variant.id));
  const { legs, buyer, seller, sellerFee, notional } = applied;
  const tradeId = applied.trade.id;
  await transfer(tx, { kind: 'market.fill', reference: tradeId, legs });
  const trade = await repo.insertTrade(tx, { ...applied.trade, ts: at });
  if (!replay.replay) countFill(tx, fill);
  // History replayed as demo data is long past: nothing to screen or hold.
  if (!replay.replay)
    await screenFill(tx, {
      tradeId,
      variantId: variant.id,
      asset: variant.asset,
      price: fill.price,
      quantity: fill.quantity,
      buyerId: buyer.ownerId,
      sellerId: seller.ownerId,
      sellerProceeds: notional - sellerFee,
      at: trade.ts,
    });
  const ts = trade.ts.getTime();
  const candles = await repo.applyCandleDeltas(
    tx,
    variant.id,
    CANDLE_INTERVALS.map((interval) => ({
      interval,
      bucketStart: new Date(bucketStart(ts, interval)),
      open: fill.price,
      high: fill.price,
      low: fill.price,
      close: fill.price,
      volume: fill.quantity,
      notional,
      trades: 1,
    })),
  );
  return [...tradeEvents(trade, buyer, seller), ...candles.map(candleEvent)];
}

/** Returns whatever an order's escrow still holds to its owner (the order is closed). */
export async function releaseEscrow(tx: Db, order: OrderRow): Promise<void> {
  const held = (await balances(tx, order.escrowAccountId)).filter((b) => b.available > 0n);
  if (held.length === 0) return;
  await transfer(tx, {
    kind: 'market.release',
    reference: order.id,
    legs: held.map((b) => ({
      from: order.escrowAccountId,
      to: walletAccountId(order.ownerId),
      asset: b.asset,
      amount: b.available,
    })),
  });
}

export async function saveOrders(tx: Db, orders: Iterable<OrderRow>): Promise<void> {
  for (const o of orders) {
    await repo.updateOrder(tx, o.id, {
      remaining: o.remaining,
      filledQuantity: o.filledQuantity,
      filledNotional: o.filledNotional,
      feePaid: o.feePaid,
      status: o.status,
      cancelReason: o.cancelReason,
    });
    if (o.status !== 'open') await releaseEscrow(tx, o);
  }
}
