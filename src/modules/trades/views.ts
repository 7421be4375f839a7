import type { Items } from './items.ts';
import { loadItems } from './items.ts';
import type { OfferRow } from './tables.ts';

const itemsView = (items: Items) => ({
  cards: items.cards.map((c) => ({ variantId: c.variantId, quantity: Number(c.quantity) })),
  coins: Number(items.coins),
});

export const offerView = (o: OfferRow) => ({
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
});

export const toItems = (i: { cards: { variantId: string; quantity: number }[]; coins: number }): Items => ({
  cards: i.cards.map((c) => ({ variantId: c.variantId, quantity: BigInt(c.quantity) })),
  coins: BigInt(i.coins),
});
