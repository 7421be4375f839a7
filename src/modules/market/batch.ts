import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import type { NewEvent } from '../../platform/events/index.ts';
import { catalogPrices, findVariantRef } from '../cards/index.ts';
import { screenFill, type HoldMover } from '../fraud/index.ts';
import {
  COIN,
  LedgerBatch,
  createEscrows,
  ensureWallets,
  frozenAmong,
  systemShard,
  walletAccountId,
  type BalanceKey,
  type Leg,
} from '../ledger/index.ts';
import type { MarketSettings } from './config-service.ts';
import { CANDLE_INTERVALS, OrderBook, bucketStart, buyEscrow, checkPriceBand, type Fill } from './engine/index.ts';
import { CardRetiredError, InvalidOrderError, PriceOutOfBandError, UnknownCardError } from './errors.ts';
import * as repo from './repo.ts';
import type { CandleDelta, OrderRow, TradeRow, VariantRef } from './repo.ts';
import { incomingOrder, validate, type PlaceOrderInput } from './service.ts';
import {
  applyFill,
  bookChangeEvents,
  candleEvent,
  countFill,
  countOrder,
  recordMarketEvents,
  tradeEvents,
} from './settlement.ts';

/**
 * A book as one process keeps it between batches: valid only while the book row's version is the
 * one it was saved at (any other change of the book, by any process, raises the version).
 */
export interface BookState {
  version: bigint;
  book: OrderBook;
  /** The open orders resting in `book`, by id. */
  orders: Map<string, OrderRow>;
  /** The last trade's price, else the catalogue price: the centre of the price band. */
  bandReference: bigint | null;
}

export type Outcome = { ok: true; order: OrderRow } | { ok: false; error: unknown };

/**
 * Places a batch of orders on one book in `tx` (the caller's transaction, opened for the batch):
 * takes the book's lock once, matches every order in memory in arrival order, exactly as one
 * `placeOrder` after another would, and writes the whole batch set-based: one ledger lock and one
 * ledger write for every escrow, fill, fee and release, one insert of the new orders, one update of
 * the touched ones, one insert of the trades and one candle upsert. An order that is refused (bad
 * price, band, funds) gets its own error and leaves no trace; the others go on. Returns each
 * order's outcome and the book as it stands after the batch (for the caller to keep once `tx`
 * commits).
 */
export async function placeBatch(
  tx: Db,
  variantId: string,
  inputs: readonly PlaceOrderInput[],
  settings: MarketSettings,
  kept: BookState | undefined,
): Promise<{ outcomes: Outcome[]; state: BookState | undefined }> {
  const version = await repo.lockVariant(tx, variantId);
  const variant = await findVariantRef(tx, variantId);
  if (!variant || variant.retired) {
    const error = variant ? new CardRetiredError() : new UnknownCardError();
    return { outcomes: inputs.map(() => ({ ok: false, error })), state: undefined };
  }
  const state =
    kept &&
    kept.version === version - 1n &&
    kept.book.tickSize === settings.tickSize &&
    kept.book.marketProtectionBps === settings.marketProtectionBps
      ? kept
      : await loadState(tx, variant, settings);
  state.version = version;
  const run = new BatchRun(tx, variant, settings, state);
  const outcomes = await run.execute(inputs);
  return { outcomes, state };
}

async function loadState(tx: Db, variant: VariantRef, settings: MarketSettings): Promise<BookState> {
  const open = await repo.openOrders(tx, variant.id);
  const book = new OrderBook({ tickSize: settings.tickSize, marketProtectionBps: settings.marketProtectionBps });
  for (const o of open) {
    if (o.price === null) continue;
    book.restore({ id: o.id, ownerId: o.ownerId, side: o.side, price: o.price, quantity: o.remaining });
  }
  const last = await repo.lastTradePrice(tx, variant.id);
  const bandReference = last ?? (await catalogPrices(tx, [variant.id])).get(variant.id) ?? null;
  return { version: 0n, book, orders: new Map(open.map((o) => [o.id, o])), bandReference };
}

const walletKeys = (userId: string, asset: string): BalanceKey[] => [
  { accountId: walletAccountId(userId), asset: COIN },
  { accountId: walletAccountId(userId), asset },
];

const escrowKeys = (escrowId: string, asset: string): BalanceKey[] => [
  { accountId: escrowId, asset: COIN },
  { accountId: escrowId, asset },
];

class BatchRun {
  private ledger!: LedgerBatch;
  private readonly fees: string;
  private readonly newOrders: OrderRow[] = [];
  private readonly touched = new Map<string, OrderRow>();
  private readonly released = new Set<string>();
  private readonly trades: TradeRow[] = [];
  private readonly candles = new Map<string, CandleDelta>();
  private readonly events: NewEvent[] = [];
  private readonly escrows: { id: string; ownerId: string; purpose: string; reference: string; assets: string[] }[] =
    [];

  constructor(
    private readonly tx: Db,
    private readonly variant: VariantRef,
    private readonly settings: MarketSettings,
    private readonly state: BookState,
  ) {
    this.fees = systemShard('fees', variant.id);
  }

  async execute(inputs: readonly PlaceOrderInput[]): Promise<Outcome[]> {
    const now = new Date();
    const outcomes: (Outcome | undefined)[] = inputs.map((input) => {
      try {
        validate(input, this.settings);
        return undefined;
      } catch (error) {
        return { ok: false, error };
      }
    });
    // A user owing coins of a refunded or disputed deposit may not trade until it is repaid.
    const frozen = await frozenAmong(
      this.tx,
      inputs.filter((input, i) => outcomes[i] === undefined && !input.replay).map((input) => input.userId),
    );
    for (const [i, input] of inputs.entries()) {
      const error = input.replay ? undefined : frozen.get(input.userId);
      if (outcomes[i] === undefined && error) outcomes[i] = { ok: false, error };
    }
    const accepted = inputs.filter((_, i) => outcomes[i] === undefined);
    const due = [...this.state.orders.values()].filter((o) => o.expiresAt !== null && o.expiresAt <= now);
    await ensureWallets(
      this.tx,
      accepted.map((i) => i.userId),
    );
    this.ledger = await LedgerBatch.open(this.tx, this.lockSet(accepted, due));

    if (due.length > 0) {
      for (const o of due) this.close(o, 'expired');
      await this.releaseClosed();
    }
    for (const [i, input] of inputs.entries()) {
      if (outcomes[i] !== undefined) continue;
      outcomes[i] = await this.place(input, now);
    }
    await this.write();
    for (const [i, o] of outcomes.entries()) if (o?.ok) countOrder(this.tx, inputs[i] as PlaceOrderInput);
    return outcomes.map((o) => o ?? { ok: false, error: new Error('order left unsettled') });
  }

  /**
   * Every balance the batch is expected to touch, locked at once in the global order: the fee
   * shard, each trader's wallet, and the escrow and wallet of every resting order an incoming order
   * could reach (or that expired). Orders resting from earlier in the batch are the batch's own.
   */
  private lockSet(inputs: readonly PlaceOrderInput[], due: readonly OrderRow[]): BalanceKey[] {
    const asset = this.variant.asset;
    const keys: BalanceKey[] = [{ accountId: this.fees, asset: COIN }];
    for (const i of inputs) keys.push(...walletKeys(i.userId, asset));
    const book = this.state.book;
    const bound = (i: PlaceOrderInput): bigint | null =>
      i.type === 'limit' ? (i.price ?? null) : book.marketProtectionPrice(i.side);
    const buys = inputs.filter((i) => i.side === 'buy').map(bound);
    const sells = inputs.filter((i) => i.side === 'sell').map(bound);
    const maxBuy = buys.reduce<bigint | null>((m, p) => (p !== null && (m === null || p > m) ? p : m), null);
    const minSell = sells.reduce<bigint | null>((m, p) => (p !== null && (m === null || p < m) ? p : m), null);
    for (const o of this.state.orders.values()) {
      const reachable =
        o.price !== null &&
        ((o.side === 'sell' && maxBuy !== null && o.price <= maxBuy) ||
          (o.side === 'buy' && minSell !== null && o.price >= minSell));
      if (reachable) keys.push(...escrowKeys(o.escrowAccountId, asset), ...walletKeys(o.ownerId, asset));
    }
    for (const o of due) keys.push(...escrowKeys(o.escrowAccountId, asset), ...walletKeys(o.ownerId, asset));
    return keys;
  }

  /** Adds a transfer to the batch, locking first what it touches that the lock set missed. */
  private async move(kind: string, reference: string, legs: Leg[], memo?: string): Promise<void> {
    if (legs.length === 0) return;
    if (!this.ledger.covers(legs)) {
      await this.ledger.lock(
        legs.flatMap((l) => [
          { accountId: l.from, asset: l.asset },
          { accountId: l.to, asset: l.asset },
        ]),
      );
    }
    this.ledger.add({ kind, reference, legs, ...(memo ? { memo } : {}) });
  }

  private async place(input: PlaceOrderInput, now: Date): Promise<Outcome> {
    const { book } = this.state;
    if (input.type === 'limit' && input.price !== undefined) {
      const band = checkPriceBand(input.price, this.state.bandReference, this.settings.priceBand);
      if (!band.ok) return { ok: false, error: new PriceOutOfBandError(band.reason, band.min, band.max) };
    }
    const id = uuidv7();
    // A market buy escrows for the worst price it may fill at: the book's protection price.
    const price =
      input.type === 'limit' ? (input.price ?? null) : input.side === 'buy' ? book.marketProtectionPrice('buy') : null;
    const escrowId = uuidv7();
    const asset = this.variant.asset;
    const amount =
      input.side === 'sell'
        ? input.quantity
        : price === null
          ? 0n
          : buyEscrow(price, input.quantity, this.settings.fees);
    const checkpoint = this.ledger.checkpoint();
    this.ledger.assumeFresh(escrowKeys(escrowId, asset));
    try {
      if (amount > 0n) {
        await this.move('market.escrow', id, [
          { from: walletAccountId(input.userId), to: escrowId, asset: input.side === 'sell' ? asset : COIN, amount },
        ]);
      }
    } catch (error) {
      this.ledger.restore(checkpoint);
      return { ok: false, error };
    }
    const order: OrderRow = {
      id,
      ownerId: input.userId,
      variantId: this.variant.id,
      side: input.side,
      type: input.type,
      timeInForce: input.timeInForce,
      price,
      quantity: input.quantity,
      remaining: input.quantity,
      filledQuantity: 0n,
      filledNotional: 0n,
      feePaid: 0n,
      feeRateBps: Number(this.settings.fees.rateBps),
      minimumFee: this.settings.fees.minimumFee,
      status: 'open',
      cancelReason: null,
      escrowAccountId: escrowId,
      queueSeq: 0n,
      source: input.source ?? 'order',
      expiresAt: input.expiresAt ?? null,
      createdAt: now,
      updatedAt: now,
    };
    const incoming = incomingOrder(id, input, price);
    const result = book.place(incoming);
    if (result.status === 'rejected') {
      this.ledger.restore(checkpoint);
      return { ok: false, error: new InvalidOrderError('invalid_price', `Order rejected: ${result.rejectReason}`) };
    }
    this.escrows.push({
      id: escrowId,
      ownerId: input.userId,
      purpose: 'market.order',
      reference: id,
      assets: [COIN, asset],
    });
    this.newOrders.push(order);
    this.touched.set(id, order);
    for (const c of result.selfTradeCancels) {
      const resting = this.state.orders.get(c.id);
      if (resting) this.close(resting, 'self_trade');
    }
    for (const fill of result.fills) await this.settle(fill, order, now);
    if (result.status === 'cancelled') {
      order.status = 'cancelled';
      order.cancelReason = result.cancelReason;
    }
    if (order.status === 'open') this.state.orders.set(id, order);
    await this.releaseClosed();
    return { ok: true, order };
  }

  private close(order: OrderRow, reason: string): void {
    this.state.book.cancel(order.id);
    order.status = 'cancelled';
    order.cancelReason = reason;
    this.touched.set(order.id, order);
  }

  /** Returns what the escrow of every order closed so far still holds, and drops them from the book. */
  private async releaseClosed(): Promise<void> {
    for (const o of this.touched.values()) {
      if (o.status === 'open' || this.released.has(o.id)) continue;
      this.released.add(o.id);
      this.state.orders.delete(o.id);
      const legs = [COIN, this.variant.asset].flatMap((asset) => {
        const amount = this.ledger.available(o.escrowAccountId, asset);
        return amount > 0n ? [{ from: o.escrowAccountId, to: walletAccountId(o.ownerId), asset, amount }] : [];
      });
      await this.move('market.release', o.id, legs);
    }
  }

  /** The same movements, trade, candles and events as `settleFill`, added to the batch. */
  private async settle(fill: Fill, taker: OrderRow, at: Date): Promise<void> {
    const maker = this.state.orders.get(fill.makerOrderId);
    if (!maker) throw new Error('fill names an order that is not in the book');
    const asset = this.variant.asset;
    const applied = applyFill(fill, taker, maker, this.variant, this.settings.fees, this.fees);
    const { legs, buyer, seller, sellerFee, notional } = applied;
    const trade: TradeRow = { ...applied.trade, ts: at };
    const tradeId = trade.id;
    await this.move('market.fill', tradeId, legs);
    countFill(this.tx, fill);
    this.touched.set(maker.id, maker);
    this.trades.push(trade);
    this.state.bandReference = fill.price;
    this.foldCandles(fill.price, fill.quantity, at.getTime());
    await screenFill(
      this.tx,
      {
        tradeId,
        variantId: this.variant.id,
        asset,
        price: fill.price,
        quantity: fill.quantity,
        buyerId: buyer.ownerId,
        sellerId: seller.ownerId,
        sellerProceeds: notional - sellerFee,
        at,
      },
      undefined,
      this.holdMover,
    );
    this.events.push(...tradeEvents(trade, buyer, seller));
  }

  /** A fraud hold inside the batch: a new escrow, and the received items moved in by the batch. */
  private readonly holdMover: HoldMover = async (tx, h) => {
    const escrowId = uuidv7();
    await createEscrows(tx, [
      {
        id: escrowId,
        ownerId: h.userId,
        purpose: 'fraud.hold',
        reference: h.holdId,
        assets: h.amounts.map((a) => a.asset),
      },
    ]);
    this.ledger.assumeFresh(h.amounts.map((a) => ({ accountId: escrowId, asset: a.asset })));
    await this.move(
      'fraud.hold',
      h.holdId,
      h.amounts.map((a) => ({ from: walletAccountId(h.userId), to: escrowId, asset: a.asset, amount: a.amount })),
      h.memo,
    );
    return escrowId;
  };

  private foldCandles(price: bigint, quantity: bigint, ts: number): void {
    for (const interval of CANDLE_INTERVALS) {
      const start = bucketStart(ts, interval);
      const key = `${interval}|${start}`;
      const c = this.candles.get(key);
      if (!c) {
        this.candles.set(key, {
          interval,
          bucketStart: new Date(start),
          open: price,
          high: price,
          low: price,
          close: price,
          volume: quantity,
          notional: price * quantity,
          trades: 1,
        });
        continue;
      }
      if (price > c.high) c.high = price;
      if (price < c.low) c.low = price;
      c.close = price;
      c.volume += quantity;
      c.notional += price * quantity;
      c.trades += 1;
    }
  }

  private async write(): Promise<void> {
    const { tx } = this;
    const variantId = this.variant.id;
    await createEscrows(tx, this.escrows);
    await this.ledger.write();
    await repo.insertOrders(
      tx,
      this.newOrders.map(({ queueSeq: _assignedByTheDatabase, ...o }) => o),
    );
    const fresh = new Set(this.newOrders.map((o) => o.id));
    // New orders were inserted as they stand now; only resting ones touched by this batch need saving.
    await repo.updateOrders(
      tx,
      [...this.touched.values()].filter((o) => !fresh.has(o.id)),
    );
    if (this.trades.length === 0 && this.touched.size === 0) return;
    await repo.insertTrades(tx, this.trades);
    const candles = await repo.applyCandleDeltas(tx, variantId, [...this.candles.values()]);
    this.events.push(
      ...candles.map(candleEvent),
      ...bookChangeEvents(
        variantId,
        this.state.book.depth(this.settings.publishedLevels),
        this.touched.values(),
        this.trades.length > 0,
      ),
    );
    await recordMarketEvents(tx, variantId, this.events);
  }
}
