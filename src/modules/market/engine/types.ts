/** Shapes of the matching core. Prices are minor coin units per card; quantities are card units. */

export type Side = 'buy' | 'sell';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';

interface IncomingBase {
  /** Unique across the book; the persistence layer's order id. */
  readonly id: string;
  /** Self-trade prevention compares this: an order never fills against one with the same owner. */
  readonly ownerId: string;
  readonly side: Side;
  /** Card units, > 0. */
  readonly quantity: bigint;
  /**
   * GTC rests what is left (limit orders only); IOC fills what it can and cancels the rest; FOK fills
   * everything at once or changes nothing. A market order never rests: GTC behaves as IOC for it.
   */
  readonly timeInForce: TimeInForce;
}

export interface LimitOrderInput extends IncomingBase {
  readonly type: 'limit';
  /** Worst acceptable price, > 0 and a multiple of the book's tick size. */
  readonly price: bigint;
}

export interface MarketOrderInput extends IncomingBase {
  readonly type: 'market';
}

export type IncomingOrder = LimitOrderInput | MarketOrderInput;

/** A resting order as the book reports it (and as `restore` takes it back). */
export interface RestingOrder {
  readonly id: string;
  readonly ownerId: string;
  readonly side: Side;
  readonly price: bigint;
  /** Open quantity still in the book. */
  readonly quantity: bigint;
}

/** One execution: always at the maker's (resting) price. */
export interface Fill {
  readonly makerOrderId: string;
  readonly makerOwnerId: string;
  readonly takerOrderId: string;
  readonly takerOwnerId: string;
  /** Side of the incoming order; the maker is on the other side. */
  readonly takerSide: Side;
  readonly price: bigint;
  readonly quantity: bigint;
  /** Maker's open quantity after this fill; 0 means the maker order is done and left the book. */
  readonly makerRemaining: bigint;
}

/** A resting order the book removed by itself while matching. */
export interface CancelledOrder extends RestingOrder {
  readonly reason: 'self_trade';
}

export type RejectReason = 'invalid_quantity' | 'invalid_price' | 'off_tick' | 'duplicate_order_id';

/**
 * Why the unfilled part of an incoming order did not rest:
 * - `ioc_remainder`: IOC order (or market order) matched all it could;
 * - `fok_unfillable`: FOK order could not be filled entirely; the book is unchanged;
 * - `no_liquidity`: market order met an empty opposite side;
 * - `protection_limit`: market order stopped at its protection price with orders left beyond it.
 */
export type CancelReason = 'ioc_remainder' | 'fok_unfillable' | 'no_liquidity' | 'protection_limit';

/**
 * Final state of the incoming order:
 * - `filled`: nothing left;
 * - `resting`: the rest (`remainingQuantity`) is in the book, possibly after some fills;
 * - `cancelled`: the rest was dropped (`cancelReason`), possibly after some fills;
 * - `rejected`: invalid input (`rejectReason`); the book is unchanged.
 */
export type OrderStatus = 'filled' | 'resting' | 'cancelled' | 'rejected';

export interface MatchResult {
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly filledQuantity: bigint;
  /** Sum of price × quantity over the fills. */
  readonly filledNotional: bigint;
  /** Resting quantity when `resting`; quantity not executed otherwise (0 when `filled`). */
  readonly remainingQuantity: bigint;
  /** In execution order. */
  readonly fills: readonly Fill[];
  /** Same-owner resting orders removed by self-trade prevention, in the order they were met. */
  readonly selfTradeCancels: readonly CancelledOrder[];
  readonly cancelReason: CancelReason | null;
  readonly rejectReason: RejectReason | null;
  /** Market orders: the worst price they were allowed to fill at (null without opposite orders). */
  readonly protectionPrice: bigint | null;
}

export interface DepthLevel {
  readonly price: bigint;
  readonly quantity: bigint;
  /** Number of resting orders at this price. */
  readonly orders: number;
}

/** Aggregated by price, best first on both sides. */
export interface Depth {
  readonly bids: readonly DepthLevel[];
  readonly asks: readonly DepthLevel[];
}

/** Resting orders in priority order (best price first, then time), as `restore` wants them back. */
export interface BookSnapshot {
  readonly bids: readonly RestingOrder[];
  readonly asks: readonly RestingOrder[];
}

export interface AmendChange {
  /** New limit price; a change loses time priority and may match. */
  readonly price?: bigint;
  /** New open quantity; lower keeps time priority, higher loses it. */
  readonly quantity?: bigint;
}

export type AmendResult =
  | { readonly status: 'not_found' }
  | { readonly status: 'rejected'; readonly rejectReason: RejectReason }
  | { readonly status: 'unchanged'; readonly order: RestingOrder }
  /** Quantity lowered in place; time priority kept. */
  | { readonly status: 'reduced'; readonly order: RestingOrder; readonly previous: RestingOrder }
  /**
   * Removed and entered again as a GTC limit order with the same id and owner: it lost time priority
   * and may have matched (see `result`).
   */
  | { readonly status: 'replaced'; readonly previous: RestingOrder; readonly result: MatchResult };

export interface OrderBookOptions {
  /** Prices must be positive multiples of this. Default 1. */
  readonly tickSize?: bigint;
  /**
   * Market orders never fill further than this many basis points from the best opposite price at
   * their arrival. Default 500 (5 %).
   */
  readonly marketProtectionBps?: bigint;
}
