import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import {
  NotYourTurnError,
  OfferNotFoundError,
  OfferNotOpenError,
  RecipientNotFoundError,
  RecipientBlockedError,
  SelfTradeError,
  TooManyOpenOffersError,
  UnknownVariantError,
} from './errors.ts';
import { checkItems, isEmpty, legsFor, loadItems, storeItems, type Items } from './items.ts';
import {
  ensureWallets,
  findUserRef,
  hasBlocked,
  notify,
  openEscrow,
  screenOffer,
  transfer,
  findVariantRef,
  walletAccountId,
} from './ports.ts';
import * as repo from './repo.ts';
import type { OfferRow } from './tables.ts';

export interface TradeLimits {
  maxOpenOffers: number;
  ttlSeconds: number;
}

export interface ProposeInput {
  proposerId: string;
  offered: Items;
  requested: Items;
  message?: string | null;
}

/**
 * A variant exists for trading once the mint has issued it: the ledger refuses unknown assets on
 * the side that moves now, and this check covers the requested side, which moves only on accept.
 */
async function assertVariantsExist(db: Db, items: Items[]): Promise<void> {
  for (const side of items) {
    for (const c of side.cards) {
      if (!(await findVariantRef(db, c.variantId))) throw new UnknownVariantError(c.variantId);
    }
  }
}

async function createOffer(
  tx: Db,
  limits: TradeLimits,
  input: ProposeInput & { recipientId: string; replacesId: string | null },
): Promise<OfferRow> {
  if (input.recipientId === input.proposerId) throw new SelfTradeError();
  // Covers counter-offers too: a user who blocked the other side receives nothing from them.
  if (await hasBlocked(tx, input.recipientId, input.proposerId)) throw new RecipientBlockedError();
  checkItems(input.offered, input.requested);
  await assertVariantsExist(tx, [input.offered, input.requested]);
  await repo.lockProposer(tx, input.proposerId);
  if ((await repo.countOpenBy(tx, input.proposerId)) >= limits.maxOpenOffers) {
    throw new TooManyOpenOffersError(limits.maxOpenOffers);
  }
  await ensureWallets(tx, [input.proposerId, input.recipientId]);
  const id = uuidv7();
  const escrow = await openEscrow(tx, { ownerId: input.proposerId, purpose: 'trade', reference: id });
  const offer = await repo.insertOffer(tx, {
    id,
    proposerId: input.proposerId,
    recipientId: input.recipientId,
    offered: storeItems(input.offered),
    requested: storeItems(input.requested),
    message: input.message ?? null,
    escrowAccountId: escrow.id,
    replacesId: input.replacesId,
    expiresAt: new Date(Date.now() + limits.ttlSeconds * 1000),
  });
  if (!isEmpty(input.offered)) {
    await transfer(tx, {
      kind: 'trades.propose',
      reference: id,
      legs: legsFor(input.offered, walletAccountId(input.proposerId), escrow.id),
      audit: { actor: { type: 'user', id: input.proposerId } },
    });
  }
  await notify(tx, {
    userId: input.recipientId,
    type: input.replacesId ? 'trade.offer_countered' : 'trade.offer_received',
    title: input.replacesId ? 'Your trade offer was countered' : 'New trade offer',
    body: input.message ?? 'You have a new trade offer.',
    data: { offerId: id, from: input.proposerId },
  });
  return offer;
}

/** Proposes a trade to a user (by username or id), moving what is offered into the offer's escrow. */
export async function propose(db: Db, limits: TradeLimits, input: ProposeInput & { to: string }) {
  return withTransaction(db, async (tx) => {
    const recipient = await findUserRef(tx, input.to);
    if (!recipient) throw new RecipientNotFoundError();
    return createOffer(tx, limits, { ...input, recipientId: recipient.id, replacesId: null });
  });
}

/** Gives the escrowed items back to the proposer. */
async function returnEscrow(tx: Db, offer: OfferRow, kind: string): Promise<void> {
  const offered = loadItems(offer.offered);
  if (isEmpty(offered)) return;
  await transfer(tx, {
    kind,
    reference: offer.id,
    legs: legsFor(offered, offer.escrowAccountId, walletAccountId(offer.proposerId)),
  });
}

type Action = 'accept' | 'decline' | 'cancel' | 'counter';

/** Explains why a conditional close found nothing: unknown to the caller, wrong party, or closed. */
async function refusal(tx: Db, id: string, userId: string, action: Action): Promise<Error> {
  const offer = await repo.findOffer(tx, id);
  if (!offer || (offer.proposerId !== userId && offer.recipientId !== userId)) return new OfferNotFoundError();
  const expectedParty = action === 'cancel' ? offer.proposerId : offer.recipientId;
  if (expectedParty !== userId) return new NotYourTurnError(action);
  if (offer.status === 'open') return new OfferNotOpenError('expired');
  return new OfferNotOpenError(offer.status);
}

async function close(tx: Db, id: string, userId: string, action: Action) {
  const status = ({ accept: 'accepted', decline: 'declined', cancel: 'cancelled', counter: 'countered' } as const)[
    action
  ];
  const party = action === 'cancel' ? { proposerId: userId } : { recipientId: userId };
  const offer = await repo.closeOpenOffer(tx, id, status, { ...party, unexpired: true });
  if (!offer) throw await refusal(tx, id, userId, action);
  return offer;
}

export const TRADES_EVENTS = {
  /** An offer was accepted and both sides exchanged (payload: offerId, proposerId, recipientId). */
  completed: 'trades.completed',
} as const;

/** The recipient accepts: their requested items go to the proposer and the escrow to them, at once. */
export async function accept(db: Db, id: string, userId: string): Promise<OfferRow> {
  return withTransaction(db, async (tx) => {
    const offer = await close(tx, id, userId, 'accept');
    const legs = [
      ...legsFor(loadItems(offer.offered), offer.escrowAccountId, walletAccountId(offer.recipientId)),
      ...legsFor(loadItems(offer.requested), walletAccountId(offer.recipientId), walletAccountId(offer.proposerId)),
    ];
    if (legs.length > 0) {
      await transfer(tx, {
        kind: 'trades.accept',
        reference: offer.id,
        legs,
        audit: { actor: { type: 'user', id: userId } },
      });
    }
    await screenOffer(tx, {
      id: offer.id,
      proposerId: offer.proposerId,
      recipientId: offer.recipientId,
      offered: loadItems(offer.offered),
      requested: loadItems(offer.requested),
    });
    await notify(tx, {
      userId: offer.proposerId,
      type: 'trade.offer_accepted',
      title: 'Trade offer accepted',
      body: 'Your trade offer was accepted and the items were exchanged.',
      data: { offerId: offer.id },
    });
    await recordEvent(tx, {
      type: TRADES_EVENTS.completed,
      aggregateType: 'trade',
      aggregateId: offer.id,
      payload: { offerId: offer.id, proposerId: offer.proposerId, recipientId: offer.recipientId },
    });
    return offer;
  });
}

/** Decline (recipient) or cancel (proposer): the offer closes and the escrow goes back. */
export async function withdraw(db: Db, id: string, userId: string, action: 'decline' | 'cancel') {
  return withTransaction(db, async (tx) => {
    const offer = await close(tx, id, userId, action);
    await returnEscrow(tx, offer, `trades.${action}`);
    await notify(tx, {
      userId: action === 'cancel' ? offer.recipientId : offer.proposerId,
      type: `trade.offer_${action === 'cancel' ? 'cancelled' : 'declined'}`,
      title: action === 'cancel' ? 'Trade offer withdrawn' : 'Trade offer declined',
      body: action === 'cancel' ? 'A trade offer to you was withdrawn.' : 'Your trade offer was declined.',
      data: { offerId: offer.id },
    });
    return offer;
  });
}

/** The recipient replaces the offer with their own, in the opposite direction. */
export async function counter(db: Db, limits: TradeLimits, id: string, input: ProposeInput): Promise<OfferRow> {
  return withTransaction(db, async (tx) => {
    const original = await close(tx, id, input.proposerId, 'counter');
    await returnEscrow(tx, original, 'trades.counter');
    return createOffer(tx, limits, { ...input, recipientId: original.proposerId, replacesId: original.id });
  });
}

/** Expires offers past their time, returning their escrow; each in its own transaction. */
export async function expireDue(db: Db, batch = 100): Promise<number> {
  let expired = 0;
  for (const id of await repo.dueOfferIds(db, batch)) {
    const done = await withTransaction(db, async (tx) => {
      const offer = await repo.closeOpenOffer(tx, id, 'expired', { due: true });
      if (!offer) return false;
      await returnEscrow(tx, offer, 'trades.expire');
      for (const userId of [offer.proposerId, offer.recipientId]) {
        await notify(tx, {
          userId,
          type: 'trade.offer_expired',
          title: 'Trade offer expired',
          body: 'A trade offer expired without an answer.',
          data: { offerId: offer.id },
        });
      }
      return true;
    });
    if (done) expired++;
  }
  return expired;
}

/** One offer for one of its parties (or an admin); undefined otherwise. */
export async function offerFor(db: Db, id: string, userId: string, readAny: boolean) {
  const offer = await repo.findOffer(db, id);
  if (!offer || (!readAny && offer.proposerId !== userId && offer.recipientId !== userId)) return undefined;
  return offer;
}

export async function listOffers(db: Db, userId: string, box: repo.Box, limit: number, cursor?: string) {
  const rows = await repo.listOffers(db, userId, box, limit + 1, cursor);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? last.id : null };
}
