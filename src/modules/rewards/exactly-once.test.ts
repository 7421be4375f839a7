import fc from 'fast-check';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import {
  backtestDone,
  coinsOf,
  expectBooksBalanced,
  packOpened,
  payoutCounts,
  pointsOf,
  startRewardsApp,
  tradeCompleted,
} from '../../../test/support/rewards.ts';
import { CATALOGUE, FACT_TYPES, type CatalogueEntry } from './catalogue.ts';
import { factsOf, utcDay, type FactInput } from './facts.ts';
import * as repo from './repo.ts';
import { measure } from './rules.ts';
import { recordFacts, syncCatalogue } from './service.ts';

/*
 * Rewards are paid exactly once per user and achievement whatever the delivery: every generated
 * history of pack openings, trades and backtests is delivered with redeliveries, duplicate
 * emissions (same business object, new event id) and in a random order, by calling the handlers
 * directly. The outcome must equal a pure model evaluated over the set of facts.
 */

// Small thresholds so generated histories complete them; one pays on claim (never automatically).
const EXTRA: CatalogueEntry[] = [
  {
    code: 'test_packs_3',
    name: 'Three packs',
    description: 'test',
    rule: { kind: 'count', type: FACT_TYPES.packOpened, threshold: 3 },
    reward: { points: 7, coins: 3 },
    payout: 'auto',
  },
  {
    code: 'test_partners_2',
    name: 'Two partners',
    description: 'test',
    rule: { kind: 'distinct', type: FACT_TYPES.tradeCompleted, key: 'partnerId', threshold: 2 },
    reward: { points: 11 },
    payout: 'auto',
  },
  {
    code: 'test_trades_2_claim',
    name: 'Two trades',
    description: 'test',
    rule: { kind: 'count', type: FACT_TYPES.tradeCompleted, threshold: 2 },
    reward: { points: 13, coins: 5 },
    payout: 'claim',
  },
];
const ALL = [...CATALOGUE, ...EXTRA];

let t: TestApp;
beforeAll(async () => {
  t = await startRewardsApp();
  await syncCatalogue(t.runtime.ctx.db, EXTRA);
}, 120_000);
afterAll(async () => t?.close());

type Spec =
  | { kind: 'open'; user: number; day: number }
  | { kind: 'trade'; a: number; b: number; day: number }
  | { kind: 'backtest'; user: number; day: number };

const USERS = 3;
const specArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('open' as const), user: fc.nat(USERS - 1), day: fc.nat(5) }) },
  {
    weight: 3,
    arbitrary: fc
      .record({ kind: fc.constant('trade' as const), a: fc.nat(USERS - 1), b: fc.nat(USERS - 1), day: fc.nat(5) })
      .filter((s) => s.a !== s.b),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('backtest' as const), user: fc.nat(USERS - 1), day: fc.nat(5) }),
  },
);

const historyArb = fc.record({
  specs: fc.array(specArb, { minLength: 1, maxLength: 14 }),
  // Extra deliveries: [index into the history, redelivery (same event) or a second emission (new id)].
  extra: fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 12 }),
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 26, maxLength: 26 }),
});

function eventOf(spec: Spec, users: string[]) {
  const u = (i: number) => users[i] ?? '';
  if (spec.kind === 'open') return packOpened(u(spec.user), uuidv7(), spec.day);
  if (spec.kind === 'trade') return tradeCompleted(u(spec.a), u(spec.b), uuidv7(), spec.day);
  return backtestDone(u(spec.user), uuidv7(), spec.day);
}

describe('rewards under duplicated and reordered events', () => {
  it('complete and pay each achievement exactly once, as a pure model over the facts says', async () => {
    const db = t.runtime.ctx.db;
    await fc.assert(
      fc.asyncProperty(historyArb, async ({ specs, extra, order }) => {
        const users = Array.from({ length: USERS }, () => uuidv7());
        const events = specs.map((s) => eventOf(s, users));
        const deliveries = [
          ...events,
          ...extra.map(([i, same]) => {
            const e = events[i % events.length];
            if (!e) throw new Error('no event');
            return same ? e : { ...e, id: uuidv7() };
          }),
        ];
        const shuffled = deliveries
          .map((e, i) => ({ e, k: order[i % order.length] ?? 0, i }))
          .sort((x, y) => x.k - y.k || x.i - y.i)
          .map((x) => x.e);
        for (const e of shuffled) await recordFacts(db, factsOf(e));

        // The model: facts as a set per user, each rule measured over them.
        const facts = new Map<string, FactInput[]>(users.map((u) => [u, []]));
        for (const e of events) for (const f of factsOf(e)) facts.get(f.userId)?.push(f);
        const payouts = await payoutCounts(db, users);
        for (const u of users) {
          const mine = (facts.get(u) ?? []).map((f) => ({ ...f, day: utcDay(f.occurredAt) }));
          let points = 0n;
          let coins = 0n;
          for (const a of ALL) {
            const done = measure(a.rule, mine) >= a.rule.threshold;
            const row = await repo.findProgress(db, u, a.code);
            expect(Boolean(row?.completedAt), `${a.code} completed`).toBe(done);
            const paid = done && a.payout === 'auto';
            const hasReward = (a.reward.points ?? 0) + (a.reward.coins ?? 0) > 0;
            expect(payouts.get(`${u}:achievement:${a.code}`) ?? 0, `${a.code} payouts`).toBe(paid && hasReward ? 1 : 0);
            if (paid) {
              points += BigInt(a.reward.points ?? 0);
              coins += BigInt(a.reward.coins ?? 0);
            }
          }
          expect(await pointsOf(db, u)).toBe(points);
          expect(await coinsOf(db, u)).toBe(coins);
        }
      }),
      { numRuns: 25 },
    );
    await expectBooksBalanced(db);
  }, 120_000);
});
