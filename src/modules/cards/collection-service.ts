import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { pageOfCards, resolveFilter } from './catalog-service.ts';
import * as repo from './collection-repo.ts';
import { CardNotFoundError, CollectionNotFoundError, CollectionPrivateError, InvalidFieldError } from './errors.ts';
import { findCollectionOwner } from './ports.ts';
import { cardHoldings, type Holding } from './holdings.ts';
import { CARDS_EVENTS } from './open-service.ts';
import { VARIANTS, variantLevel, type Variant } from './rarity.ts';
import { findCard, findCards, variantsOf } from './repo.ts';
import type { CardListQueryT } from './schemas.ts';
import { cardView } from './views.ts';

export const WISHLIST_LIMIT = 500;

type CollectionQuery = Omit<CardListQueryT, 'owned'>;

/**
 * A user's holdings with the catalogue's filters, sorting and paging. The quantities are the
 * ledger balances read at the same moment; the `variant` filter keeps cards held in that variant.
 */
export async function collection(db: Db, userId: string, q: CollectionQuery) {
  const holdings = await cardHoldings(db, userId);
  const filter = await resolveFilter(db, q, undefined);
  const level = q.variant === undefined ? undefined : variantLevel(q.variant);
  filter.onlyIds = [...new Set(holdings.filter((h) => level === undefined || h.level === level).map((h) => h.cardId))];
  // Owned cards stay in the collection after they are retired.
  filter.includeRetired = true;
  filter.level = undefined;
  const page = await pageOfCards(db, filter, q);
  const byCard = new Map<string, Holding[]>();
  for (const h of holdings) byCard.set(h.cardId, [...(byCard.get(h.cardId) ?? []), h]);
  return {
    items: page.items.map((card) => {
      const held = (byCard.get(card.id) ?? []).sort((a, b) => a.level - b.level);
      return {
        card,
        holdings: held.map((h) => ({
          variantId: h.variantId,
          variant: VARIANTS[h.level] ?? 'base',
          asset: h.asset,
          quantity: h.quantity,
        })),
        quantity: held.reduce((s, h) => s + h.quantity, 0n),
      };
    }),
    nextCursor: page.nextCursor,
    totals: {
      distinctCards: new Set(holdings.map((h) => h.cardId)).size,
      copies: holdings.reduce((s, h) => s + h.quantity, 0n),
    },
  };
}

/** Per set: distinct cards owned (any variant) out of the set's cards in the catalogue. */
export async function setCompletion(db: Db, userId: string) {
  const owned = [...new Set((await cardHoldings(db, userId)).map((h) => h.cardId))];
  const rows = await repo.setCompletion(db, owned);
  return {
    items: rows.map((r) => ({
      set: { id: r.id, code: r.code, name: r.name },
      ownedCards: r.owned,
      totalCards: r.total,
      completion: r.total === 0 ? 0 : r.owned / r.total,
      complete: r.total > 0 && r.owned === r.total,
    })),
  };
}

export async function wishlist(db: Db, userId: string) {
  const rows = await repo.wishlistOf(db, userId);
  const cardIds = rows.map((r) => r.cardId);
  const cards = new Map((await findCards(db, cardIds)).map((c) => [c.id, c]));
  const variants = await variantsOf(db, cardIds);
  const owned = new Map<string, bigint>();
  for (const h of await cardHoldings(db, userId)) owned.set(h.cardId, (owned.get(h.cardId) ?? 0n) + h.quantity);
  return {
    items: rows.flatMap((r) => {
      const card = cards.get(r.cardId);
      if (!card) return [];
      return [
        {
          card: cardView(card, variants),
          variant: r.variantLevel === null ? null : (VARIANTS[r.variantLevel] ?? null),
          note: r.note,
          owned: owned.get(r.cardId) ?? 0n,
          addedAt: r.createdAt.toISOString(),
        },
      ];
    }),
  };
}

/** Adds a card to the wishlist, or updates its wanted variant and note (PUT is idempotent). */
export async function putWish(
  db: Db,
  userId: string,
  body: { cardId: string; variant?: Variant | null; note?: string | null },
) {
  await withTransaction(db, async (tx) => {
    if (!(await findCard(tx, body.cardId))) throw new CardNotFoundError();
    await repo.lockWishlist(tx, userId);
    if ((await repo.countWishes(tx, userId)) >= WISHLIST_LIMIT) {
      const existing = (await repo.wishlistOf(tx, userId)).some((w) => w.cardId === body.cardId);
      if (!existing) throw new InvalidFieldError('body.cardId', `a wishlist holds at most ${WISHLIST_LIMIT} cards`);
    }
    await repo.upsertWish(tx, {
      userId,
      cardId: body.cardId,
      variantLevel: body.variant ? variantLevel(body.variant) : null,
      note: body.note ?? null,
    });
    await recordWishlistChange(tx, userId);
  });
  return wishlist(db, userId);
}

export async function deleteWish(db: Db, userId: string, cardId: string) {
  await withTransaction(db, async (tx) => {
    if (!(await repo.deleteWish(tx, userId, cardId))) throw new CardNotFoundError();
    await recordWishlistChange(tx, userId);
  });
  return wishlist(db, userId);
}

const recordWishlistChange = (tx: Db, userId: string) =>
  recordEvent(tx, {
    type: CARDS_EVENTS.wishlistChanged,
    aggregateType: 'cards.wishlist',
    aggregateId: userId,
    payload: { userId },
  });

/** Someone's collection by username, when they made it public. */
export async function publicCollection(db: Db, username: string, q: CollectionQuery) {
  const owner = await findCollectionOwner(db, username);
  if (!owner) throw new CollectionNotFoundError();
  if (!owner.public) throw new CollectionPrivateError();
  return collection(db, owner.id, q);
}
