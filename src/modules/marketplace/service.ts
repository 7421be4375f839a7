import type { Db } from '../../platform/db/tx.ts';
import { UUID_PATTERN, decodeCursor, encodeCursor } from '../../platform/http/cursor.ts';
import { ValidationError } from '../../platform/http/errors.ts';
import type { Rarity } from '../cards/index.ts';
import { findUserRef } from '../identity/index.ts';
import {
  SUGGESTION_MAX_AGE_MS,
  SUGGESTION_MIN_TRADES,
  SUGGESTION_SAMPLE_SIZE,
  loadMarketSettings,
  quote,
  suggestPrice,
  type MarketSettings,
} from '../market/index.ts';
import * as book from '../market/index.ts';
import { UnknownCardError } from './errors.ts';
import * as repo from './repo.ts';
import type { ListingKeyset, ListingRow, ListingSort } from './repo.ts';

/**
 * Price per card suggested for a base variant when a card has too few recent trades, by rarity
 * (minor coin units). Each variant level above base doubles it.
 */
export const RARITY_FLOOR: Readonly<Record<Rarity, bigint>> = Object.freeze({
  common: 500n,
  uncommon: 2_000n,
  rare: 7_500n,
  epic: 30_000n,
  legendary: 125_000n,
  mythic: 600_000n,
});

export const rarityFloor = (rarity: Rarity, level: number): bigint => RARITY_FLOOR[rarity] * 2n ** BigInt(level);

/** A listing as anyone sees it, priced for its remaining cards with the fee settings in force. */
export function listingView(row: ListingRow, settings: MarketSettings, usernames: Map<string, string | null>) {
  const o = row.order;
  const price = o.price ?? 0n;
  const q = quote(price, o.remaining, settings.fees);
  return {
    id: o.id,
    cardId: o.variantId,
    baseCardId: row.cardId,
    level: row.level,
    cardName: row.cardName,
    rarity: row.rarity,
    set: { id: row.setId, code: row.setCode, name: row.setName },
    seller: { id: o.ownerId, username: usernames.get(o.ownerId) ?? null },
    price,
    quantity: o.quantity,
    remaining: o.remaining,
    sold: o.filledQuantity,
    status: o.status,
    cancelReason: o.cancelReason,
    buyerPays: q.buyerPays,
    sellerReceives: q.sellerReceives,
    createdAt: o.createdAt.toISOString(),
    expiresAt: o.expiresAt?.toISOString() ?? null,
  };
}

async function usernamesOf(db: Db, rows: ListingRow[]) {
  const names = new Map<string, string | null>();
  for (const id of new Set(rows.map((r) => r.order.ownerId))) {
    names.set(id, (await findUserRef(db, id))?.username ?? null);
  }
  return names;
}

async function viewOf(tx: Db, id: string, settings: MarketSettings) {
  const row = await repo.findListing(tx, id);
  if (!row) throw new book.ListingNotFoundError();
  return listingView(row, settings, await usernamesOf(tx, [row]));
}

export interface NewListing {
  cardId: string;
  quantity: number;
  price: number;
  expiresAt?: string;
}

/** Lists cards for sale; returns the listing (already sold out if a resting bid took it all). */
export async function createListing(tx: Db, userId: string, input: NewListing, now = new Date()) {
  const expiresAt = input.expiresAt === undefined ? undefined : new Date(input.expiresAt);
  if (expiresAt && expiresAt <= now) {
    throw new ValidationError('The expiry must be in the future', [
      { field: 'body.expiresAt', message: 'must be in the future' },
    ]);
  }
  const settings = await loadMarketSettings(tx);
  const order = await book.createListing(
    tx,
    { userId, variantId: input.cardId, price: BigInt(input.price), quantity: BigInt(input.quantity), expiresAt },
    settings,
  );
  return viewOf(tx, order.id, settings);
}

export async function updateListing(tx: Db, userId: string, id: string, change: { price?: number; quantity?: number }) {
  const settings = await loadMarketSettings(tx);
  await book.amendListing(
    tx,
    userId,
    id,
    {
      price: change.price === undefined ? undefined : BigInt(change.price),
      quantity: change.quantity === undefined ? undefined : BigInt(change.quantity),
    },
    settings,
  );
  return viewOf(tx, id, settings);
}

export async function cancelListing(tx: Db, userId: string, id: string) {
  const settings = await loadMarketSettings(tx);
  await book.cancelListing(tx, userId, id, settings);
  return viewOf(tx, id, settings);
}

/** Buys cards of one listing at its price; returns the buyer's order with what it paid. */
export async function purchase(tx: Db, buyerId: string, listingId: string, quantity: number) {
  const settings = await loadMarketSettings(tx);
  const { order, listing, fee, sellerReceived } = await book.purchaseListing(
    tx,
    buyerId,
    listingId,
    BigInt(quantity),
    settings,
  );
  const price = order.price ?? 0n;
  const paid = order.filledNotional + (settings.fees.payer === 'buyer' ? order.feePaid : 0n);
  return {
    orderId: order.id,
    listingId: listing.id,
    cardId: order.variantId,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    status: order.status,
    price,
    quantity: order.quantity,
    filledQuantity: order.filledQuantity,
    filledNotional: order.filledNotional,
    fee,
    paid,
    buyerPays: paid,
    sellerReceives: sellerReceived,
    listingRemaining: listing.remaining,
    createdAt: order.createdAt.toISOString(),
  };
}

export interface ListingsFilter {
  card?: string;
  set?: string;
  rarity?: Rarity;
  minPrice?: number;
  maxPrice?: number;
  seller?: string;
  sort: ListingSort;
  limit: number;
  cursor?: string;
}

function readKeyset(sort: ListingSort, cursor: string | undefined): ListingKeyset | undefined {
  return decodeCursor(cursor, (raw) => {
    if (!Array.isArray(raw) || raw[0] !== sort) return undefined;
    if (sort === 'newest') {
      const [, id] = raw as unknown[];
      return raw.length === 2 && typeof id === 'string' && UUID_PATTERN.test(id) ? { sort, id } : undefined;
    }
    const [, price, id] = raw as unknown[];
    if (raw.length !== 3 || typeof price !== 'string' || !/^\d{1,19}$/.test(price)) return undefined;
    if (typeof id !== 'string' || !UUID_PATTERN.test(id)) return undefined;
    return { sort, price: BigInt(price), id };
  });
}

function cursorAfter(sort: ListingSort, row: ListingRow): string {
  return sort === 'newest'
    ? encodeCursor([sort, row.order.id])
    : encodeCursor([sort, String(row.order.price ?? 0n), row.order.id]);
}

async function page(db: Db, rows: ListingRow[], limit: number, next: (row: ListingRow) => string) {
  const settings = await loadMarketSettings(db);
  const items = rows.slice(0, limit);
  const names = await usernamesOf(db, items);
  const last = items.at(-1);
  return {
    items: items.map((r) => listingView(r, settings, names)),
    nextCursor: rows.length > limit && last ? next(last) : null,
  };
}

/** Open listings, filtered and sorted, one page at a time. */
export async function browseListings(db: Db, f: ListingsFilter) {
  const from = readKeyset(f.sort, f.cursor);
  if (f.minPrice !== undefined && f.maxPrice !== undefined && f.minPrice > f.maxPrice) {
    throw new ValidationError('minPrice must not exceed maxPrice', [
      { field: 'query.maxPrice', message: 'must be at least minPrice' },
    ]);
  }
  let sellerId: string | undefined;
  if (f.seller !== undefined) {
    const seller = await findUserRef(db, f.seller);
    if (!seller) return { items: [], nextCursor: null };
    sellerId = seller.id;
  }
  const rows = await repo.openListings(
    db,
    {
      card: f.card?.toLowerCase(),
      set: f.set,
      rarity: f.rarity,
      minPrice: f.minPrice === undefined ? undefined : BigInt(f.minPrice),
      maxPrice: f.maxPrice === undefined ? undefined : BigInt(f.maxPrice),
      sellerId,
    },
    f.sort,
    f.limit + 1,
    from,
  );
  return page(db, rows, f.limit, (row) => cursorAfter(f.sort, row));
}

/** The caller's listings, open or done, newest first. */
export async function myListings(
  db: Db,
  userId: string,
  q: { status: 'open' | 'done'; limit: number; cursor?: string },
) {
  const before = decodeCursor(q.cursor, (raw) =>
    Array.isArray(raw) &&
    raw.length === 2 &&
    raw[0] === q.status &&
    typeof raw[1] === 'string' &&
    UUID_PATTERN.test(raw[1])
      ? raw[1]
      : undefined,
  );
  const rows = await repo.listingsOf(db, userId, q.status, q.limit + 1, before);
  return page(db, rows, q.limit, (row) => encodeCursor([q.status, row.order.id]));
}

/**
 * The median of the variant's recent trades, or its rarity floor when there are fewer than the
 * minimum; the answer says which, over how many trades and how old the oldest is.
 */
export async function priceSuggestion(db: Db, variantId: string, now = Date.now()) {
  const variant = await repo.variantInfo(db, variantId);
  if (!variant) throw new UnknownCardError();
  const settings = await loadMarketSettings(db);
  const rows = await repo.recentTrades(db, variant.id, new Date(now - SUGGESTION_MAX_AGE_MS), SUGGESTION_SAMPLE_SIZE);
  const s = suggestPrice({
    now,
    trades: rows.map((r) => ({ ts: r.ts.getTime(), price: r.price })),
    rarityFloor: rarityFloor(variant.rarity, variant.level),
    tickSize: settings.tickSize,
  });
  const oldest = s.source === 'recent_trades' ? s.oldestTradeAt : rows.at(-1)?.ts.getTime();
  const q = quote(s.price, 1n, settings.fees);
  return {
    cardId: variant.id,
    price: s.price,
    basis: s.source === 'recent_trades' ? ('trades' as const) : ('rarity_floor' as const),
    sampleSize: s.sampleSize,
    minTrades: SUGGESTION_MIN_TRADES,
    oldestTradeAt: oldest === undefined ? null : new Date(oldest).toISOString(),
    oldestTradeAgeSeconds: oldest === undefined ? null : Math.max(0, Math.floor((now - oldest) / 1000)),
    rarity: variant.rarity,
    buyerPays: q.buyerPays,
    sellerReceives: q.sellerReceives,
  };
}
