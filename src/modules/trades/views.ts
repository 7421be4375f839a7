import type { Items } from './items.ts';
import { loadItems } from './items.ts';
import type { Db } from '../../platform/db/tx.ts';
import { holdsFor, offerReference } from './ports.ts';
import type { OfferRow } from './tables.ts';

/** A fraud hold on what a party received in an accepted offer, as the parties see it. */
export interface OfferHold {
  reason: string;
  releaseAt: string;
  released: boolean;
}

const itemsView = (items: Items) => ({
  cards: items.cards.map((c) => ({ variantId: c.variantId, quantity: Number(c.quantity) })),
  coins: Number(items.coins),
});

export const offerView = (o: OfferRow, hold: OfferHold | null = null) => ({
  id: o.id,
  proposerId: o.proposerId,
  recipientId: o.recipientId,
  offered: itemsView(loadItems(o.offered)),
  requested: itemsView(loadItems(o.requested)),
  message: o.message,
  status: o.status,
  replacesId: o.replacesId,
  createdAt: o.createdAt.toISOString(),
  expiresAt: o.expiresAt.toISOString(),
  closedAt: o.closedAt ? o.closedAt.toISOString() : null,
  hold,
});

/** The views of offers as `viewerId` sees them: with the viewer's own hold on each, if any. */
export async function offerViews(db: Db, offers: OfferRow[], viewerId: string) {
  const holds = await holdsFor(
    db,
    offers.map((o) => offerReference(o.id)),
    viewerId,
  );
  return offers.map((o) => {
    const h = holds.get(offerReference(o.id));
    return offerView(o, h ? { reason: h.reason, releaseAt: h.releaseAt.toISOString(), released: h.released } : null);
  });
}

export const toItems = (i: { cards: { variantId: string; quantity: number }[]; coins: number }): Items => ({
  cards: i.cards.map((c) => ({ variantId: c.variantId, quantity: BigInt(c.quantity) })),
  coins: BigInt(i.coins),
});
