import { uuidv7 } from 'uuidv7';
import { appendAudit } from '../../platform/audit/index.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { decodeIdCursor, encodeIdCursor } from '../../platform/http/cursor.ts';
import {
  BettingInputError,
  EventNotFoundError,
  MarketNotFoundError,
  MarketStateError,
  ThinMarketError,
} from './errors.ts';
import { normalisePpm } from './odds.ts';
import { COIN, SYSTEM_ACCOUNTS, findVariantRef, openEscrow, tradeCountSince } from './ports.ts';
import * as repo from './repo.ts';
import type { EventBody, EventsQuery, MarketBody, PriceEventBody } from './schemas.ts';
import type { EventRow, MarketRow, OutcomeRow } from './tables.ts';
import { eventView, priceRule } from './views.ts';

/** Default risk limits of new markets (config), minor units. */
export interface MarketDefaults {
  minStake: bigint;
  maxStake: bigint;
  maxPayout: bigint;
  userLiabilityCap: bigint;
  outcomeLiabilityCap: bigint;
  suspendExposure: bigint;
  /** Trades in the last 30 days a card needs to host a price event. */
  priceMinTrades: number;
}

const DAY_MS = 86_400_000;

function parseTime(value: string, field: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new BettingInputError(field, 'is not a date-time');
  return d;
}

async function addMarket(tx: Db, event: EventRow, body: MarketBody, defaults: MarketDefaults) {
  const id = uuidv7();
  const limits = {
    ...defaults,
    ...Object.fromEntries(Object.entries(body.limits ?? {}).map(([k, v]) => [k, BigInt(v)])),
  };
  if (limits.maxStake < limits.minStake) throw new BettingInputError('body.limits.maxStake', 'is below minStake');
  const labels = new Set(body.outcomes.map((o) => o.label.trim().toLowerCase()));
  if (labels.size !== body.outcomes.length) throw new BettingInputError('body.outcomes', 'labels must be distinct');
  const escrow = await openEscrow(tx, { ownerId: SYSTEM_ACCOUNTS.house, purpose: 'betting.market', reference: id });
  const market = await repo.insertMarket(tx, {
    id,
    eventId: event.id,
    type: body.type,
    name: body.name,
    takeoutBps: body.type === 'parimutuel' ? (body.takeoutBps ?? 1000) : 0,
    overroundBps: body.type === 'fixed' ? (body.overroundBps ?? 500) : 0,
    escrowId: escrow.id,
    minStake: limits.minStake,
    maxStake: limits.maxStake,
    maxPayout: limits.maxPayout,
    userLiabilityCap: limits.userLiabilityCap,
    outcomeLiabilityCap: limits.outcomeLiabilityCap,
    suspendExposure: limits.suspendExposure,
  });
  const ppm = normalisePpm(body.outcomes.map((o) => o.weight ?? 1));
  await repo.insertOutcomes(
    tx,
    body.outcomes.map((o, position) => ({
      id: uuidv7(),
      marketId: id,
      label: o.label,
      position,
      probabilityPpm: body.type === 'fixed' ? (ppm[position] ?? 0) : 0,
    })),
  );
  return market;
}

/** Creates an event with its markets and outcomes (operators). */
export async function createEvent(
  db: Db,
  adminId: string,
  body: EventBody,
  defaults: MarketDefaults,
  now = new Date(),
) {
  const startsAt = parseTime(body.startsAt, 'body.startsAt');
  const opensAt = body.opensAt ? parseTime(body.opensAt, 'body.opensAt') : now;
  if (startsAt <= now) throw new BettingInputError('body.startsAt', 'must be in the future');
  if (opensAt >= startsAt) throw new BettingInputError('body.opensAt', 'must be before startsAt');
  return withTransaction(db, async (tx) => {
    const event = await repo.insertEvent(tx, {
      id: uuidv7(),
      kind: 'admin',
      title: body.title,
      description: body.description ?? '',
      opensAt,
      startsAt,
      createdBy: adminId,
    });
    for (const m of body.markets) await addMarket(tx, event, m, defaults);
    await appendAudit(tx, {
      actor: { type: 'user', id: adminId },
      action: 'betting.event.created',
      target: { type: 'betting_event', id: event.id },
    });
    return loadEventView(tx, event.id, now);
  });
}

/**
 * A card-price event: "the variant's 1d close on `date` is above `threshold`", with one Yes/No
 * market. Betting closes when that day starts; the sweep settles it from the recorded candle once
 * the day is over. Cards with fewer than `priceMinTrades` trades in the last 30 days are refused.
 */
export async function createPriceEvent(
  db: Db,
  adminId: string,
  body: PriceEventBody,
  defaults: MarketDefaults,
  now = new Date(),
) {
  const day = new Date(`${body.date}T00:00:00.000Z`);
  if (Number.isNaN(day.getTime())) throw new BettingInputError('body.date', 'is not a date');
  if (day <= now) throw new BettingInputError('body.date', 'must be a future day');
  return withTransaction(db, async (tx) => {
    const variant = await findVariantRef(tx, body.variantId);
    if (!variant) throw new BettingInputError('body.variantId', 'is not a card variant');
    const trades = await tradeCountSince(tx, body.variantId, new Date(now.getTime() - 30 * DAY_MS));
    if (trades < defaults.priceMinTrades) throw new ThinMarketError(trades, defaults.priceMinTrades);
    const threshold = BigInt(body.threshold);
    const event = await repo.insertEvent(tx, {
      id: uuidv7(),
      kind: 'card_price',
      title: `Card closes above ${Number(threshold) / 100} coins on ${body.date}`,
      description: priceRule(threshold, day),
      opensAt: now,
      startsAt: day,
      createdBy: adminId,
      variantId: body.variantId,
      threshold,
      priceDate: day,
    });
    await addMarket(
      tx,
      event,
      {
        type: body.type ?? 'parimutuel',
        name: 'Close above the threshold?',
        outcomes: [{ label: 'Yes' }, { label: 'No' }],
        ...(body.takeoutBps !== undefined ? { takeoutBps: body.takeoutBps } : {}),
        ...(body.overroundBps !== undefined ? { overroundBps: body.overroundBps } : {}),
        ...(body.limits ? { limits: body.limits } : {}),
      },
      defaults,
    );
    await appendAudit(tx, {
      actor: { type: 'user', id: adminId },
      action: 'betting.price_event.created',
      target: { type: 'betting_event', id: event.id },
      asset: COIN,
      amount: threshold,
      details: { variantId: body.variantId, date: body.date, tradesLast30Days: trades },
    });
    return loadEventView(tx, event.id, now);
  });
}

async function views(db: Db, events: readonly EventRow[], now: Date) {
  const markets = await repo.marketsOfEvents(
    db,
    events.map((e) => e.id),
  );
  const outcomes = await repo.outcomesOfMarkets(
    db,
    markets.map((m) => m.id),
  );
  const byMarket = new Map<string, OutcomeRow[]>();
  for (const o of outcomes) byMarket.set(o.marketId, [...(byMarket.get(o.marketId) ?? []), o]);
  const byEvent = new Map<string, MarketRow[]>();
  for (const m of markets) byEvent.set(m.eventId, [...(byEvent.get(m.eventId) ?? []), m]);
  return events.map((e) => eventView(e, byEvent.get(e.id) ?? [], byMarket, now));
}

export async function loadEventView(db: Db, id: string, now = new Date()) {
  const event = await repo.findEvent(db, id);
  if (!event) throw new EventNotFoundError();
  const [view] = await views(db, [event], now);
  if (!view) throw new EventNotFoundError();
  return view;
}

export async function listEvents(db: Db, q: EventsQuery, now = new Date()) {
  const rows = await repo.listEvents(db, {
    now,
    limit: q.limit + 1,
    ...(q.status ? { status: q.status } : {}),
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.cursor ? { before: decodeIdCursor(q.cursor) } : {}),
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: await views(db, page, now),
    nextCursor: rows.length > q.limit && last ? encodeIdCursor(last.id) : null,
  };
}

/** Lets a suspended market take bets again (operators). */
export async function resumeMarket(db: Db, adminId: string, marketId: string) {
  return withTransaction(db, async (tx) => {
    const found = await repo.findMarket(tx, marketId, true);
    if (!found) throw new MarketNotFoundError();
    const row = await repo.transitionMarket(tx, marketId, ['suspended'], { status: 'open', suspendReason: null });
    if (!row) throw new MarketStateError(found.market.status, 'Only a suspended market can be resumed');
    await appendAudit(tx, {
      actor: { type: 'user', id: adminId },
      action: 'betting.market.resumed',
      target: { type: 'betting_market', id: marketId },
    });
    return loadEventView(tx, found.event.id);
  });
}
