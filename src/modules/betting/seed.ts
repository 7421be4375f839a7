import type { Seeder } from '../../platform/db/seed.ts';
import type { Db } from '../../platform/db/tx.ts';
import { placeBet } from './bet-service.ts';
import { createEvent, createPriceEvent, type MarketDefaults } from './event-service.ts';
import { confirmAge } from './play-service.ts';
import { DEMO_TRADERS, findUserRef, recordedCandles, tradableBaseVariants } from './ports.ts';
import * as repo from './repo.ts';
import { processMarket, requestSettlement } from './settlement.ts';
import { currentOdds } from './views.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The configured defaults' values (seeding has no config at hand). */
const DEFAULTS: MarketDefaults = {
  minStake: 100n,
  maxStake: 1_000_000n,
  maxPayout: 10_000_000n,
  userLiabilityCap: 5_000_000n,
  outcomeLiabilityCap: 50_000_000n,
  suspendExposure: 40_000_000n,
  priceMinTrades: 5,
};

type Bettor = { id: string };
type EventView = Awaited<ReturnType<typeof createEvent>>;

async function bet(tx: Db, user: Bettor, event: EventView, m: number, o: number, stake: number, now: Date) {
  const market = event.markets[m];
  if (!market) return;
  const found = await repo.findMarket(tx, market.id);
  const outcomes = await repo.outcomesOfMarkets(tx, [market.id]);
  const outcome = outcomes[o];
  if (!found || !outcome) return;
  const odds = currentOdds(found.market, outcomes)[o] ?? undefined;
  await placeBet(
    tx,
    user.id,
    { eventId: event.id, marketId: market.id, outcomeId: outcome.id, stake, ...(odds ? { odds } : {}) },
    now,
  );
}

/** The most traded demo card over the last 30 days and its last daily close. */
async function tradedCard(tx: Db, now: number) {
  const candidates = (await tradableBaseVariants(tx)).map((v) => v.variantId);
  const series = await recordedCandles(tx, candidates, '1d', new Date(now - 30 * DAY_MS), new Date(now));
  const [best] = Object.entries(series)
    .filter(([, c]) => c.length > 0)
    .sort(([, a], [, b]) => b.length - a.length);
  if (!best) return null;
  const last = best[1].at(-1);
  return last ? { variantId: best[0], close: last.close } : null;
}

/**
 * Open events of both market types (one a card-price event on the most traded demo card) with
 * bets from the demo users and traders, and one settled event with its payouts, all through the
 * betting services and the ledger.
 */
export const demoBettingSeeder: Seeder = {
  name: 'betting.demo',
  demo: true,
  async run(tx) {
    const users: Bettor[] = [];
    for (const name of ['alice', 'bob', ...DEMO_TRADERS]) {
      const u = await findUserRef(tx, name);
      if (u) users.push({ id: u.id });
    }
    const admin = await findUserRef(tx, 'admin');
    if (users.length < 2 || !admin) return;
    for (const u of users) await confirmAge(tx, u.id);
    const now = Date.now();
    const at = new Date(now);
    const [alice, bob, ...traders] = users as [Bettor, Bettor, ...Bettor[]];

    const final = await createEvent(
      tx,
      admin.id,
      {
        title: 'Season Cup final: Ember Drakes vs Frost Wardens',
        description: 'The season’s deciding match.',
        startsAt: new Date(now + 7 * DAY_MS).toISOString(),
        markets: [
          {
            type: 'parimutuel',
            name: 'Winner (pool)',
            takeoutBps: 800,
            outcomes: [{ label: 'Ember Drakes' }, { label: 'Frost Wardens' }, { label: 'Draw' }],
          },
          {
            type: 'fixed',
            name: 'Winner (fixed odds)',
            overroundBps: 500,
            outcomes: [
              { label: 'Ember Drakes', weight: 45 },
              { label: 'Frost Wardens', weight: 40 },
              { label: 'Draw', weight: 15 },
            ],
          },
        ],
      },
      DEFAULTS,
      at,
    );
    await bet(tx, alice, final, 0, 0, 2_000, at);
    await bet(tx, bob, final, 0, 1, 1_500, at);
    await bet(tx, alice, final, 1, 2, 1_000, at);
    for (const [i, t] of traders.entries()) {
      await bet(tx, t, final, 0, i % 3, 10_000 + i * 2_500, at);
      await bet(tx, t, final, 1, (i + 1) % 3, 5_000 + i * 1_000, at);
    }

    const card = await tradedCard(tx, now);
    if (card) {
      const tomorrow = new Date(Math.floor(now / DAY_MS) * DAY_MS + DAY_MS).toISOString().slice(0, 10);
      const price = await createPriceEvent(
        tx,
        admin.id,
        { variantId: card.variantId, threshold: Math.max(1, Math.round(card.close)), date: tomorrow },
        { ...DEFAULTS, priceMinTrades: 1 },
        at,
      );
      await bet(tx, alice, price, 0, 0, 1_000, at);
      await bet(tx, bob, price, 0, 1, 1_200, at);
      for (const [i, t] of traders.entries()) await bet(tx, t, price, 0, i % 2, 4_000 + i * 500, at);
    }

    // A finished event: opened two days ago, started yesterday, settled with its payouts.
    const past = new Date(now - 2 * DAY_MS);
    const derby = await createEvent(
      tx,
      admin.id,
      {
        title: 'Winter Derby: Storm Griffins vs Stone Golems',
        startsAt: new Date(now - DAY_MS).toISOString(),
        markets: [
          {
            type: 'parimutuel',
            name: 'Winner (pool)',
            takeoutBps: 1000,
            outcomes: [{ label: 'Storm Griffins' }, { label: 'Stone Golems' }],
          },
          {
            type: 'fixed',
            name: 'Winner (fixed odds)',
            overroundBps: 600,
            outcomes: [
              { label: 'Storm Griffins', weight: 55 },
              { label: 'Stone Golems', weight: 45 },
            ],
          },
        ],
      },
      DEFAULTS,
      past,
    );
    const betAt = new Date(past.getTime() + HOUR_MS);
    await bet(tx, alice, derby, 0, 0, 3_000, betAt);
    await bet(tx, bob, derby, 0, 1, 2_000, betAt);
    await bet(tx, alice, derby, 1, 0, 1_500, betAt);
    await bet(tx, bob, derby, 1, 1, 1_000, betAt);
    for (const [i, t] of traders.entries()) await bet(tx, t, derby, i % 2, i % 2, 6_000 + i * 700, betAt);
    const noJob = async () => {};
    for (const market of derby.markets) {
      const winner = market.outcomes[0];
      if (!winner) continue;
      const by = { actor: { type: 'user' as const, id: admin.id }, reason: 'final result' };
      await requestSettlement(tx, by, market.id, winner.id, noJob);
      await processMarket(tx, market.id);
    }
  },
};
