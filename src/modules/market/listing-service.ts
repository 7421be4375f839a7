import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { AppError, ConflictError, NotFoundError } from '../../platform/http/errors.ts';
import type { NewEvent } from '../../platform/events/index.ts';
import { transfer, walletAccountId } from '../ledger/index.ts';
import { quote, type FeeSchedule, type Fill } from './engine/index.ts';
import { InvalidOrderError, OrderNotOpenError } from './errors.ts';
import * as repo from './repo.ts';
import type { OrderRow } from './repo.ts';
import {
  checkBand,
  checkTick,
  bookEvents,
  cancelOrder,
  closeDueOf,
  loadBook,
  lockedVariant,
  openOrder,
  placeOrder,
  type MarketSettings,
} from './service.ts';
import { recordMarketEvents, saveOrders, settleFill } from './settlement.ts';

/*
 * Marketplace listings on the exchange's book. A listing is a GTC limit sell order with
 * `source = 'listing'`: the same escrow, matching, fees and market data as any other order. What
 * the marketplace adds is amending it in place and buying one listing directly at its price.
 */

export class ListingNotFoundError extends NotFoundError {
  constructor() {
    super('Listing');
  }
}

/** The listing is filled or cancelled; it can no longer be changed. */
export class ListingNotOpenError extends ConflictError {
  constructor() {
    super('listing_not_open', 'The listing is already sold out or cancelled');
  }
}

/** A purchase named a listing that is no longer open. */
export class ListingUnavailableError extends ConflictError {
  constructor() {
    super('listing_unavailable', 'The listing is no longer available');
  }
}

export class OwnListingError extends AppError {
  constructor() {
    super('own_listing', 422, 'You cannot buy your own listing', { field: 'body.listingId' });
  }
}

export class ListingQuantityError extends ConflictError {
  constructor(available: bigint) {
    super('insufficient_quantity', `Only ${available} card(s) of this listing are available`, {
      available: Number(available),
    });
  }
}

/** With a seller-paid fee and a high minimum, a cheap listing would earn its seller nothing. */
export class NoSellerProceedsError extends AppError {
  constructor(price: bigint) {
    super('no_seller_proceeds', 422, `At ${price} per card the fee takes everything the seller would receive`, {
      field: 'body.price',
    });
  }
}

/** Refuses a price at which one card sold would leave the seller nothing after the fee. */
export function assertSellerProceeds(price: bigint, fees: FeeSchedule): void {
  if (quote(price, 1n, fees).sellerReceives <= 0n) throw new NoSellerProceedsError(price);
}

export interface CreateListingInput {
  userId: string;
  variantId: string;
  price: bigint;
  quantity: bigint;
  expiresAt?: Date;
}

/**
 * Lists cards for sale: they move into escrow and rest in the card's book at `price`. A resting bid
 * at or above that price fills at once, at the bid's price, like any sell order.
 */
export function createListing(tx: Db, input: CreateListingInput, settings: MarketSettings): Promise<OrderRow> {
  if (input.price > 0n) assertSellerProceeds(input.price, settings.fees);
  return placeOrder(
    tx,
    {
      userId: input.userId,
      variantId: input.variantId,
      side: 'sell',
      type: 'limit',
      timeInForce: 'GTC',
      price: input.price,
      quantity: input.quantity,
      source: 'listing',
      expiresAt: input.expiresAt,
    },
    settings,
  );
}

/** The caller's listing (any status); another user's listing, or an exchange order, is reported missing. */
async function ownListing(tx: Db, userId: string, id: string): Promise<OrderRow> {
  const found = await repo.findOrder(tx, id);
  if (!found || found.source !== 'listing' || found.ownerId !== userId) throw new ListingNotFoundError();
  return found;
}

async function checkPrice(tx: Db, variantId: string, price: bigint, settings: MarketSettings): Promise<void> {
  if (price <= 0n) throw new InvalidOrderError('invalid_price', 'The price must be at least 1');
  checkTick(price, settings);
  await checkBand(tx, variantId, price, settings);
  assertSellerProceeds(price, settings.fees);
}

export interface ListingChange {
  price?: bigint;
  /** Cards still on offer after the change (the sold part is not counted). */
  quantity?: bigint;
}

/**
 * Amends the caller's open listing under the card's lock. Fewer cards keeps time priority and
 * returns the surplus from escrow; more cards escrows the difference and goes to the back of the
 * queue; a new price goes to the back of the queue too and, as the engine re-enters the listing,
 * may match resting bids at once, so the book is never left crossed.
 */
export async function amendListing(
  tx: Db,
  userId: string,
  id: string,
  change: ListingChange,
  settings: MarketSettings,
): Promise<OrderRow> {
  const found = await ownListing(tx, userId, id);
  if (change.quantity !== undefined && change.quantity <= 0n) {
    throw new InvalidOrderError('invalid_quantity', 'Quantity must be at least 1');
  }
  const variant = await lockedVariant(tx, found.variantId);
  await closeDueOf(tx, variant.id, new Date(), settings);
  if (change.price !== undefined) await checkPrice(tx, variant.id, change.price, settings);
  const { book, orders } = await loadBook(tx, variant.id, settings);
  const listing = orders.get(id);
  if (!listing || listing.price === null) throw new ListingNotOpenError();

  const previousRemaining = listing.remaining;
  const result = book.amend(id, { price: change.price, quantity: change.quantity });
  if (result.status === 'not_found') throw new ListingNotOpenError();
  if (result.status === 'rejected') {
    const code = result.rejectReason === 'invalid_quantity' ? 'invalid_quantity' : 'invalid_price';
    throw new InvalidOrderError(code, `The change was refused: ${result.rejectReason}`);
  }
  if (result.status === 'unchanged') return listing;

  const remaining = change.quantity ?? previousRemaining;
  if (remaining !== previousRemaining) {
    const escrow = listing.escrowAccountId;
    const wallet = walletAccountId(userId);
    const more = remaining > previousRemaining;
    await transfer(tx, {
      kind: more ? 'market.escrow' : 'market.release',
      reference: id,
      legs: [
        {
          from: more ? wallet : escrow,
          to: more ? escrow : wallet,
          asset: variant.asset,
          amount: more ? remaining - previousRemaining : previousRemaining - remaining,
        },
      ],
    });
  }
  listing.price = change.price ?? listing.price;
  listing.remaining = remaining;
  listing.quantity = listing.filledQuantity + remaining;
  await repo.updateOrderTerms(tx, id, { price: listing.price, quantity: listing.quantity, remaining });

  if (result.status === 'reduced') {
    await recordMarketEvents(tx, variant.id, await bookEvents(tx, variant.id, settings, [listing]));
    return listing;
  }

  // Replaced: the listing re-entered the book at the back of its level and may have matched.
  await repo.requeueOrder(tx, id);
  const match = result.result;
  const touched = new Map<string, OrderRow>([[id, listing]]);
  for (const c of match.selfTradeCancels) {
    const resting = orders.get(c.id);
    if (!resting) continue;
    resting.status = 'cancelled';
    resting.cancelReason = 'self_trade';
    touched.set(c.id, resting);
  }
  const events: NewEvent[] = [];
  for (const fill of match.fills) {
    events.push(...(await settleFill(tx, variant, fill, orders, settings.fees)));
    const maker = orders.get(fill.makerOrderId);
    if (maker) touched.set(maker.id, maker);
  }
  await saveOrders(tx, touched.values());
  events.push(...(await bookEvents(tx, variant.id, settings, touched.values(), match.fills.length > 0)));
  await recordMarketEvents(tx, variant.id, events);
  return listing;
}

/** Cancels the caller's open listing and returns the unsold cards from escrow. */
export async function cancelListing(tx: Db, userId: string, id: string, settings: MarketSettings): Promise<OrderRow> {
  await ownListing(tx, userId, id);
  try {
    return await cancelOrder(tx, userId, id, settings);
  } catch (err) {
    if (err instanceof OrderNotOpenError) throw new ListingNotOpenError();
    throw err;
  }
}

export interface Purchase {
  /** The buyer's order: an IOC limit buy at the listing's price, filled in one execution. */
  order: OrderRow;
  listing: OrderRow;
  /** Commission on this purchase, whoever paid it. */
  fee: bigint;
  /** Coins the seller received for it. */
  sellerReceived: bigint;
}

/**
 * Buys `quantity` cards of one listing at its price, whatever else the book holds. Under the card's
 * lock the listing must still be open and hold enough cards; the buyer's coins (price × quantity
 * plus the fee) are escrowed and settled in one fill, or nothing is written.
 */
export async function purchaseListing(
  tx: Db,
  buyerId: string,
  listingId: string,
  quantity: bigint,
  settings: MarketSettings,
): Promise<Purchase> {
  if (quantity <= 0n) throw new InvalidOrderError('invalid_quantity', 'Quantity must be at least 1');
  const found = await repo.findOrder(tx, listingId);
  if (!found || found.source !== 'listing') throw new ListingNotFoundError();
  if (found.ownerId === buyerId) throw new OwnListingError();
  const variant = await lockedVariant(tx, found.variantId);
  await closeDueOf(tx, variant.id, new Date(), settings);
  const [listing] = await repo.openOrdersAmong(tx, variant.id, [listingId]);
  if (!listing || listing.price === null) throw new ListingUnavailableError();
  const orders = new Map([[listing.id, listing]]);
  if (quantity > listing.remaining) throw new ListingQuantityError(listing.remaining);

  const id = uuidv7();
  const order = await openOrder(
    tx,
    variant,
    {
      userId: buyerId,
      variantId: variant.id,
      side: 'buy',
      type: 'limit',
      timeInForce: 'IOC',
      price: listing.price,
      quantity,
      source: 'order',
    },
    id,
    settings,
  );
  orders.set(id, order);
  const fill: Fill = {
    makerOrderId: listing.id,
    makerOwnerId: listing.ownerId,
    takerOrderId: id,
    takerOwnerId: buyerId,
    takerSide: 'buy',
    price: listing.price,
    quantity,
    makerRemaining: listing.remaining - quantity,
  };
  const sellerFeeBefore = listing.feePaid;
  const events = await settleFill(tx, variant, fill, orders, settings.fees);
  const sellerFee = listing.feePaid - sellerFeeBefore;
  await saveOrders(tx, [listing, order]);
  await recordMarketEvents(tx, variant.id, [
    ...events,
    ...(await bookEvents(tx, variant.id, settings, [listing, order], true)),
  ]);
  return {
    order,
    listing,
    fee: order.feePaid + sellerFee,
    sellerReceived: fill.price * quantity - sellerFee,
  };
}
