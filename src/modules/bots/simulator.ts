import { feeFor, fillOnCandle, type SimOrder } from './fill-model.ts';
import type { Candle, Holding, Intent, OpenOrderView } from './strategy.ts';

/*
 * A simulated account: the venue of backtests and paper bots. Orders rest until a later closed
 * candle fills them by the written fill model (`fill-model.ts`); fees follow the exchange's
 * commission rule. Cash and prices are safe integers in the coin's minor unit (numbers, for speed
 * over long backtests; converted to bigint at the storage edge).
 */

export interface FeeTerms {
  rateBps: number;
  minimumFee: number;
  payer: 'buyer' | 'seller';
}

export interface SimSettings {
  fees: FeeTerms;
  /** Spread a market order pays, in basis points (half on each side of the open). */
  spreadBps: number;
  /** Extra slippage a market order pays, in basis points. */
  slippageBps: number;
}

/** What a simulated account holds; plain JSON, so a paper bot stores it between ticks. */
export interface SimState {
  cash: number;
  holdings: Record<string, Holding>;
  /** Fees paid on what is held now (charged to the trade when it closes). */
  entryFees: Record<string, number>;
  orders: SimOrder[];
  lastExitAt: Record<string, number>;
  feesPaid: number;
}

export interface SimFill {
  orderId: string;
  variantId: string;
  side: 'buy' | 'sell';
  price: number;
  quantity: number;
  fee: number;
  at: number;
}

/** A round trip: bought then sold (whole or part of a position). */
export interface ClosedTrade {
  variantId: string;
  entryAt: number;
  exitAt: number;
  quantity: number;
  entryPrice: number;
  exitPrice: number;
  fees: number;
  pnl: number;
}

export type PlaceResult = { order: SimOrder } | { rejected: string };

export const emptyState = (cash: number): SimState => ({
  cash,
  holdings: {},
  entryFees: {},
  orders: [],
  lastExitAt: {},
  feesPaid: 0,
});

const worstCaseFee = (price: number, quantity: number, fees: FeeTerms) => feeFor(price, quantity, fees, 'buy');

export class Simulator {
  readonly closed: ClosedTrade[] = [];

  constructor(
    readonly state: SimState,
    private readonly settings: SimSettings,
  ) {}

  /** Cash not promised to open buy orders. */
  available(): number {
    let reserved = 0;
    for (const o of this.state.orders) {
      if (o.side === 'buy' && o.price !== null)
        reserved += o.price * o.quantity + worstCaseFee(o.price, o.quantity, this.settings.fees);
    }
    return this.state.cash - reserved;
  }

  /** Cards of a variant not promised to open sell orders. */
  sellable(variantId: string): number {
    let promised = 0;
    for (const o of this.state.orders) if (o.side === 'sell' && o.variantId === variantId) promised += o.quantity;
    return (this.state.holdings[variantId]?.quantity ?? 0) - promised;
  }

  /**
   * Accepts an order intent at `time`. A limit buy needs its cost plus fee available; a market buy
   * is sized again at its fill (it never spends cash the account lacks); a sell needs the cards.
   */
  place(
    intent: Extract<Intent, { action: 'buy' | 'sell' }>,
    id: string,
    time: number,
    lastClose: number | undefined,
  ): PlaceResult {
    const { variantId, type, quantity } = intent;
    if (!Number.isSafeInteger(quantity) || quantity <= 0)
      return { rejected: 'quantity must be a positive whole number' };
    const price = type === 'limit' ? intent.price : undefined;
    if (type === 'limit' && (price === undefined || !Number.isSafeInteger(price) || price <= 0)) {
      return { rejected: 'a limit order needs a positive whole price' };
    }
    if (intent.action === 'sell' && this.sellable(variantId) < quantity)
      return { rejected: 'not enough cards to sell' };
    if (intent.action === 'buy') {
      const estimate = price ?? lastClose;
      if (estimate === undefined) return { rejected: 'no price to size a market buy' };
      if (estimate * quantity + worstCaseFee(estimate, quantity, this.settings.fees) > this.available()) {
        return { rejected: 'not enough cash' };
      }
    }
    const order: SimOrder = {
      id,
      variantId,
      side: intent.action,
      type,
      price: price ?? null,
      quantity,
      placedAt: time,
    };
    this.state.orders.push(order);
    return { order };
  }

  cancel(orderId: string): boolean {
    const before = this.state.orders.length;
    this.state.orders = this.state.orders.filter((o) => o.id !== orderId);
    return this.state.orders.length < before;
  }

  /**
   * Applies one closed candle of a card: resting orders placed before it may fill, and open
   * positions note their peak. Market orders that could not fill are dropped (immediate-or-cancel).
   */
  advance(variantId: string, candle: Candle): SimFill[] {
    const fills: SimFill[] = [];
    const at = candle.start;
    const kept: SimOrder[] = [];
    for (const order of this.state.orders) {
      if (order.variantId !== variantId || order.placedAt > candle.start) {
        kept.push(order);
        continue;
      }
      const fill = fillOnCandle(order, candle, this.settings);
      const done = fill ? this.settle(order, fill.price, fill.quantity, at) : undefined;
      if (done) fills.push(done);
      const left = order.quantity - (done?.quantity ?? 0);
      if (left > 0 && order.type === 'limit') kept.push(done ? { ...order, quantity: left } : order);
    }
    this.state.orders = kept;
    const held = this.state.holdings[variantId];
    if (held && candle.close > held.peakPrice) held.peakPrice = candle.close;
    return fills;
  }

  private settle(order: SimOrder, price: number, wanted: number, at: number): SimFill | undefined {
    const { fees } = this.settings;
    let quantity =
      order.side === 'sell' ? Math.min(wanted, this.state.holdings[order.variantId]?.quantity ?? 0) : wanted;
    if (order.side === 'buy') {
      // Cash other open buys have promised stays theirs.
      const free = this.state.cash - this.reservedExcept(order.id);
      while (quantity > 0 && price * quantity + feeFor(price, quantity, fees, 'buy') > free) quantity -= 1;
    }
    if (quantity <= 0) return undefined;
    const fee = feeFor(price, quantity, fees, order.side);
    if (order.side === 'buy') this.buy(order.variantId, price, quantity, fee, at);
    else this.sell(order.variantId, price, quantity, fee, at);
    this.state.feesPaid += fee;
    return { orderId: order.id, variantId: order.variantId, side: order.side, price, quantity, fee, at };
  }

  private reservedExcept(orderId: string): number {
    let reserved = 0;
    for (const o of this.state.orders) {
      if (o.id !== orderId && o.side === 'buy' && o.price !== null) {
        reserved += o.price * o.quantity + worstCaseFee(o.price, o.quantity, this.settings.fees);
      }
    }
    return reserved;
  }

  /**
   * Books a fill that happened elsewhere (a live bot's exchange fill): the same position
   * arithmetic as a simulated fill, so live and paper report alike. Cash is the caller's to sync.
   */
  record(fill: Omit<SimFill, 'orderId'>): void {
    if (fill.side === 'buy') this.buy(fill.variantId, fill.price, fill.quantity, fill.fee, fill.at);
    else this.sell(fill.variantId, fill.price, fill.quantity, fill.fee, fill.at);
    this.state.feesPaid += fill.fee;
  }

  private buy(variantId: string, price: number, quantity: number, fee: number, at: number) {
    this.state.cash -= price * quantity + fee;
    const held = this.state.holdings[variantId];
    if (!held) {
      this.state.holdings[variantId] = { quantity, entryPrice: price, peakPrice: price, openedAt: at };
    } else {
      held.entryPrice = Math.round((held.entryPrice * held.quantity + price * quantity) / (held.quantity + quantity));
      held.quantity += quantity;
      held.peakPrice = Math.max(held.peakPrice, price);
    }
    this.state.entryFees[variantId] = (this.state.entryFees[variantId] ?? 0) + fee;
  }

  private sell(variantId: string, price: number, quantity: number, fee: number, at: number) {
    const held = this.state.holdings[variantId];
    if (!held) return;
    const share = quantity / held.quantity;
    const entryFee = Math.round((this.state.entryFees[variantId] ?? 0) * share);
    this.state.cash += price * quantity - fee;
    this.closed.push({
      variantId,
      entryAt: held.openedAt,
      exitAt: at,
      quantity,
      entryPrice: held.entryPrice,
      exitPrice: price,
      fees: entryFee + fee,
      pnl: (price - held.entryPrice) * quantity - entryFee - fee,
    });
    held.quantity -= quantity;
    this.state.entryFees[variantId] = (this.state.entryFees[variantId] ?? 0) - entryFee;
    if (held.quantity === 0) {
      delete this.state.holdings[variantId];
      delete this.state.entryFees[variantId];
      this.state.lastExitAt[variantId] = at;
    }
  }

  /** Cash plus every holding at its last known close. */
  equity(lastClose: Record<string, number>): number {
    let value = this.state.cash;
    for (const [variantId, held] of Object.entries(this.state.holdings)) {
      value += held.quantity * (lastClose[variantId] ?? held.entryPrice);
    }
    return value;
  }

  openOrders(): OpenOrderView[] {
    return this.state.orders.map((o) => ({
      id: o.id,
      variantId: o.variantId,
      side: o.side,
      price: o.price,
      quantity: o.quantity,
      remaining: o.quantity,
      placedAt: o.placedAt,
    }));
  }
}

/**
 * The round trips a sequence of recorded fills makes (a paper or live bot's fill log, in time
 * order), by the same position arithmetic the simulator trades with, and the fees they paid.
 */
export function roundTrips(fills: Iterable<Omit<SimFill, 'orderId'>>): { closed: ClosedTrade[]; fees: number } {
  const book = new Simulator(emptyState(0), {
    fees: { rateBps: 0, minimumFee: 0, payer: 'buyer' },
    spreadBps: 0,
    slippageBps: 0,
  });
  let fees = 0;
  for (const f of fills) {
    book.record({ variantId: f.variantId, side: f.side, price: f.price, quantity: f.quantity, fee: f.fee, at: f.at });
    fees += f.fee;
  }
  return { closed: book.closed, fees };
}
