import { uuidv7 } from 'uuidv7';
import { appendAudit, type RequestOrigin } from '../../platform/audit/index.ts';
import { afterCommit, withTransaction, type Db } from '../../platform/db/tx.ts';
import { business } from '../../platform/metrics/metrics.ts';
import { FlagAlreadyResolvedError, FlagNotFoundError, OwnFlagError } from './errors.ts';
import {
  COIN,
  accountsCreatedAt,
  catalogPrices,
  notify,
  openEscrow,
  transfer,
  variantAssetCode,
  walletAccountId,
} from './ports.ts';
import * as repo from './repo.ts';
import {
  DEFAULT_FRAUD_SETTINGS,
  HOLD_REASONS,
  evaluate,
  type AssetAmount,
  type FraudSettings,
  type PartyFacts,
  type RuleMatch,
  type TradeFacts,
} from './rules.ts';
import type { FlagOutcome, FlagRow, FlagStatus, FraudRule, HoldRow } from './tables.ts';

/** Flags and holds name the trade they are about by one of these. */
export const fillReference = (tradeId: string) => `market.trade:${tradeId}`;
export const offerReference = (offerId: string) => `trade.offer:${offerId}`;

/** An exchange fill, as settled: the seller's proceeds are net of their fee. */
export interface FillToScreen {
  tradeId: string;
  variantId: string;
  /** The variant's ledger asset. */
  asset: string;
  price: bigint;
  quantity: bigint;
  buyerId: string;
  sellerId: string;
  sellerProceeds: bigint;
  at: Date;
}

/** One side of an offer between users: card variants with quantities, and coins. */
export interface ScreenItems {
  cards: { variantId: string; quantity: bigint }[];
  coins: bigint;
}

/** An accepted offer: the recipient received `offered`, the proposer `requested`. */
export interface OfferToScreen {
  id: string;
  proposerId: string;
  recipientId: string;
  offered: ScreenItems;
  requested: ScreenItems;
  at?: Date;
}

const since = (at: Date, ms: number) => new Date(at.getTime() - ms);

async function partyFacts(
  db: Db,
  at: Date,
  settings: FraudSettings,
  sides: Omit<PartyFacts, 'accountCreatedAt' | 'recentTrades'>[],
): Promise<[PartyFacts, PartyFacts]> {
  const ids = sides.map((s) => s.userId);
  const created = await accountsCreatedAt(db, ids);
  const counts = await repo.tradeCounts(db, ids, since(at, settings.velocityWindowMs));
  const [a, b] = sides.map((s) => ({
    ...s,
    accountCreatedAt: created.get(s.userId) ?? null,
    recentTrades: counts.get(s.userId) ?? 0,
  }));
  if (!a || !b) throw new Error('a trade has two parties');
  return [a, b];
}

/**
 * Screens one exchange fill inside its settlement transaction: records it for later screens,
 * raises flags for the rules it matches and holds what the flagged side received when a match is
 * severe. Returns the matches.
 */
export async function screenFill(
  tx: Db,
  fill: FillToScreen,
  settings: FraudSettings = DEFAULT_FRAUD_SETTINGS,
  moveToHold: HoldMover = ledgerHoldMover,
): Promise<RuleMatch[]> {
  const reference = fillReference(fill.tradeId);
  const { at, variantId, buyerId, sellerId } = fill;
  const referencePrice = await repo.lastPrice(tx, variantId, at);
  const unit = referencePrice ?? (await catalogPrices(tx, [variantId])).get(variantId) ?? fill.price;
  const cardValue = unit * fill.quantity;
  const notional = fill.price * fill.quantity;
  await repo.insertActivity(tx, [
    { userId: buyerId, counterpartyId: sellerId, variantId, direction: 'in', price: fill.price, reference, at },
    { userId: sellerId, counterpartyId: buyerId, variantId, direction: 'out', price: fill.price, reference, at },
  ]);
  const facts: TradeFacts = {
    kind: 'fill',
    reference,
    at,
    variantId,
    price: fill.price,
    referencePrice,
    parties: await partyFacts(tx, at, settings, [
      {
        userId: buyerId,
        role: 'buyer',
        receivedValue: cardValue,
        givenValue: notional,
        received: [{ asset: fill.asset, amount: fill.quantity }],
      },
      {
        userId: sellerId,
        role: 'seller',
        receivedValue: fill.sellerProceeds,
        givenValue: cardValue,
        received: [{ asset: COIN, amount: fill.sellerProceeds }],
      },
    ]),
    pairHistory: await repo.pairHistory(tx, buyerId, sellerId, [variantId], since(at, settings.washWindowMs)),
  };
  const matches = evaluate(facts, settings);
  await act(tx, facts, matches, settings, moveToHold);
  return matches;
}

/**
 * Moves what a flagged user received from their wallet into a new hold escrow (purpose
 * `fraud.hold`, reference the hold id) and returns the escrow's account id. The default moves it
 * with its own ledger transfer; a caller settling many fills in one ledger batch passes its own.
 */
export type HoldMover = (
  tx: Db,
  h: { userId: string; holdId: string; memo: string; amounts: AssetAmount[] },
) => Promise<string>;

const ledgerHoldMover: HoldMover = async (tx, h) => {
  const escrow = await openEscrow(tx, { ownerId: h.userId, purpose: 'fraud.hold', reference: h.holdId });
  await transfer(tx, {
    kind: 'fraud.hold',
    reference: h.holdId,
    memo: h.memo,
    legs: h.amounts.map((a) => ({ from: walletAccountId(h.userId), to: escrow.id, asset: a.asset, amount: a.amount })),
  });
  return escrow.id;
};

function itemsToAmounts(items: ScreenItems): AssetAmount[] {
  const out = items.cards.map((c) => ({ asset: variantAssetCode(c.variantId), amount: c.quantity }));
  if (items.coins > 0n) out.push({ asset: COIN, amount: items.coins });
  return out;
}

/** Screens an accepted offer between users inside the accepting transaction; see `screenFill`. */
export async function screenOffer(
  tx: Db,
  offer: OfferToScreen,
  settings: FraudSettings = DEFAULT_FRAUD_SETTINGS,
): Promise<RuleMatch[]> {
  const reference = offerReference(offer.id);
  const at = offer.at ?? new Date();
  const { proposerId, recipientId, offered, requested } = offer;
  const variantIds = [...new Set([...offered.cards, ...requested.cards].map((c) => c.variantId.toLowerCase()))];
  const prices = await repo.lastPrices(tx, variantIds, at);
  const missing = variantIds.filter((v) => !prices.has(v));
  const catalog = await catalogPrices(tx, missing);
  const valueOf = (items: ScreenItems) =>
    items.cards.reduce((sum, c) => {
      const v = c.variantId.toLowerCase();
      return sum + c.quantity * (prices.get(v) ?? catalog.get(v) ?? 0n);
    }, items.coins);
  const moves = (items: ScreenItems, to: string, from: string): repo.NewActivity[] =>
    items.cards.flatMap((c) => [
      { userId: to, counterpartyId: from, variantId: c.variantId, direction: 'in' as const, reference, at },
      { userId: from, counterpartyId: to, variantId: c.variantId, direction: 'out' as const, reference, at },
    ]);
  const rows = [...moves(offered, recipientId, proposerId), ...moves(requested, proposerId, recipientId)];
  if (rows.length === 0) {
    rows.push(
      { userId: recipientId, counterpartyId: proposerId, reference, at },
      { userId: proposerId, counterpartyId: recipientId, reference, at },
    );
  }
  await repo.insertActivity(tx, rows);
  const [offeredValue, requestedValue] = [valueOf(offered), valueOf(requested)];
  const facts: TradeFacts = {
    kind: 'offer',
    reference,
    at,
    variantId: null,
    price: null,
    referencePrice: null,
    parties: await partyFacts(tx, at, settings, [
      {
        userId: recipientId,
        role: 'recipient',
        receivedValue: offeredValue,
        givenValue: requestedValue,
        received: itemsToAmounts(offered),
      },
      {
        userId: proposerId,
        role: 'proposer',
        receivedValue: requestedValue,
        givenValue: offeredValue,
        received: itemsToAmounts(requested),
      },
    ]),
    pairHistory: await repo.pairHistory(tx, recipientId, proposerId, variantIds, since(at, settings.washWindowMs)),
  };
  const matches = evaluate(facts, settings);
  await act(tx, facts, matches, settings);
  return matches;
}

/** Raises the matches' flags (once per rule and trade) and holds receipts of severe ones. */
async function act(
  tx: Db,
  facts: TradeFacts,
  matches: RuleMatch[],
  settings: FraudSettings,
  moveToHold: HoldMover = ledgerHoldMover,
): Promise<void> {
  const held = new Set<string>();
  for (const m of matches) {
    const flag = await repo.insertFlag(tx, {
      id: uuidv7(),
      rule: m.rule,
      severity: m.severity,
      userIds: m.userIds,
      variantId: m.variantId,
      reference: facts.reference,
      details: m.details,
    });
    if (flag) afterCommit(tx, () => business.fraudFlags.inc({ rule: m.rule, severity: m.severity }));
    if (!flag || m.severity !== 'high') continue;
    for (const userId of m.holdUserIds) {
      const party = facts.parties.find((p) => p.userId === userId);
      const amounts = party?.received.filter((a) => a.amount > 0n) ?? [];
      if (held.has(userId) || amounts.length === 0) continue;
      held.add(userId);
      await placeHold(
        tx,
        {
          flagId: flag.id,
          userId,
          reference: facts.reference,
          amounts,
          reason: HOLD_REASONS[m.rule],
          releaseAt: new Date(Date.now() + settings.holdMs),
        },
        moveToHold,
      );
    }
  }
}

async function placeHold(
  tx: Db,
  h: { flagId: string; userId: string; reference: string; amounts: AssetAmount[]; reason: string; releaseAt: Date },
  moveToHold: HoldMover,
): Promise<HoldRow> {
  const id = uuidv7();
  const escrow = { id: await moveToHold(tx, { userId: h.userId, holdId: id, memo: h.reference, amounts: h.amounts }) };
  const hold = await repo.insertHold(tx, {
    id,
    flagId: h.flagId,
    userId: h.userId,
    reference: h.reference,
    escrowAccountId: escrow.id,
    amounts: h.amounts.map((a) => ({ asset: a.asset, amount: a.amount.toString() })),
    reason: h.reason,
    releaseAt: h.releaseAt,
  });
  await notify(tx, {
    userId: h.userId,
    type: 'fraud.hold',
    title: 'Items from a trade are on hold',
    body: `${h.reason}. What you received in this trade is held until ${h.releaseAt.toISOString()} while it is reviewed.`,
    data: { holdId: id, reference: h.reference, reason: h.reason, releaseAt: h.releaseAt.toISOString() },
  });
  return hold;
}

/** Moves a hold's items back to the owner's wallet; the caller has marked it released. */
async function returnHold(tx: Db, hold: HoldRow, why: 'expired' | 'dismissed'): Promise<void> {
  await transfer(tx, {
    kind: 'fraud.release',
    reference: hold.id,
    memo: hold.reference,
    legs: hold.amounts.map((a) => ({
      from: hold.escrowAccountId,
      to: walletAccountId(hold.userId),
      asset: a.asset,
      amount: BigInt(a.amount),
    })),
  });
  await notify(tx, {
    userId: hold.userId,
    type: 'fraud.hold_released',
    title: 'Hold released',
    body:
      why === 'dismissed'
        ? 'A review cleared your trade: the held items are back in your wallet.'
        : 'The hold on items from your trade has ended: they are back in your wallet.',
    data: { holdId: hold.id, reference: hold.reference },
  });
}

/** Releases holds whose time has come, each in its own transaction; returns how many. */
export async function releaseDueHolds(db: Db, now: Date = new Date(), batch = 100): Promise<number> {
  let released = 0;
  for (const id of await repo.dueHoldIds(db, now, batch)) {
    const done = await withTransaction(db, async (tx) => {
      const hold = await repo.markReleased(tx, id, now);
      if (!hold) return false;
      await returnHold(tx, hold, 'expired');
      return true;
    });
    if (done) released++;
  }
  return released;
}

export interface HoldView {
  userId: string;
  reason: string;
  releaseAt: Date;
  released: boolean;
}

/**
 * The viewer's own hold on each of the given trades (`market.trade:<id>`, `trade.offer:<id>`), if
 * any: the earliest one still in force, else the earliest released one. A hold on the other party
 * is theirs to see, not the viewer's.
 */
export async function holdsFor(db: Db, references: string[], viewerId: string): Promise<Map<string, HoldView>> {
  const out = new Map<string, HoldView>();
  for (const h of await repo.holdsByReference(db, references)) {
    if (h.userId !== viewerId) continue;
    const view = { userId: h.userId, reason: h.reason, releaseAt: h.releaseAt, released: h.releasedAt !== null };
    const seen = out.get(h.reference);
    if (!seen || (seen.released && !view.released)) out.set(h.reference, view);
  }
  return out;
}

export interface FlagQuery {
  status: FlagStatus;
  rule?: FraudRule;
  userId?: string;
  before?: string;
  limit: number;
}

/** Flags newest first, `limit + 1` of them (the extra one tells a next page exists), with their holds. */
export async function listFlags(db: Db, q: FlagQuery): Promise<{ flags: FlagRow[]; holds: HoldRow[] }> {
  const flags = await repo.listFlags(db, { ...q, limit: q.limit + 1 });
  const holds = await repo.holdsOfFlags(
    db,
    flags.map((f) => f.id),
  );
  return { flags, holds };
}

export interface ResolveInput {
  id: string;
  outcome: FlagOutcome;
  note: string | null;
  actorId: string;
  origin?: RequestOrigin;
}

/**
 * Closes a flag. `dismissed` returns its holds at once; `confirmed` keeps them until their release
 * time (the user keeps the items after that: confirming records the finding, it does not seize).
 */
export async function resolveFlag(db: Db, input: ResolveInput): Promise<{ flag: FlagRow; holds: HoldRow[] }> {
  return withTransaction(db, async (tx) => {
    const target = await repo.findFlag(tx, input.id);
    if (target?.userIds.includes(input.actorId)) throw new OwnFlagError();
    const flag = await repo.resolveOpenFlag(tx, input.id, {
      outcome: input.outcome,
      note: input.note,
      resolvedBy: input.actorId,
    });
    if (!flag) {
      const existing = await repo.findFlag(tx, input.id);
      if (!existing) throw new FlagNotFoundError();
      throw new FlagAlreadyResolvedError(existing.outcome);
    }
    let released = 0;
    if (input.outcome === 'dismissed') {
      for (const h of await repo.holdsOfFlags(tx, [flag.id])) {
        const hold = h.releasedAt ? undefined : await repo.markReleased(tx, h.id);
        if (!hold) continue;
        await returnHold(tx, hold, 'dismissed');
        released++;
      }
    }
    await appendAudit(tx, {
      actor: { type: 'user', id: input.actorId },
      action: 'admin.fraud.resolve',
      target: { type: 'fraud.flag', id: flag.id },
      ...(input.origin ? { origin: input.origin } : {}),
      details: { outcome: input.outcome, note: input.note, rule: flag.rule, reference: flag.reference, released },
    });
    return { flag, holds: await repo.holdsOfFlags(tx, [flag.id]) };
  });
}
