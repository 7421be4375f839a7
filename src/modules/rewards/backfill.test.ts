import fc from 'fast-check';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import {
  expectBooksBalanced,
  packOpened,
  payoutCounts,
  pointsOf,
  startRewardsApp,
  tradeCompleted,
} from '../../../test/support/rewards.ts';
import { FACT_TYPES, type CatalogueEntry } from './catalogue.ts';
import { factsOf } from './facts.ts';
import * as repo from './repo.ts';
import { backfillAchievement, backfillPending, createAchievement, recordFacts, syncCatalogue } from './service.ts';

/*
 * A new achievement is awarded to everyone who already qualifies: the same generated history is
 * played to two groups of users, one before the achievement exists (then backfilled) and one after
 * (evaluated live); both groups end with the same awards and the same payouts.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startRewardsApp();
}, 120_000);
afterAll(async () => t?.close());

type Spec = { kind: 'open'; user: number } | { kind: 'trade'; a: number; b: number };
const N = 4;
const specArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ kind: fc.constant('open' as const), user: fc.nat(N - 1) }),
  fc.record({ kind: fc.constant('trade' as const), a: fc.nat(N - 1), b: fc.nat(N - 1) }).filter((s) => s.a !== s.b),
);

function play(specs: Spec[], users: string[]) {
  const u = (i: number) => users[i] ?? '';
  return specs.map((s) => (s.kind === 'open' ? packOpened(u(s.user)) : tradeCompleted(u(s.a), u(s.b))));
}

let serial = 0;

describe('backfill', () => {
  it('awards the same set as live evaluation', async () => {
    const db = t.runtime.ctx.db;
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('count', 'distinct'),
        async (specs, threshold, kind) => {
          serial += 1;
          const entry: CatalogueEntry = {
            code: `bf_${serial}`,
            name: `Backfill ${serial}`,
            description: 'test',
            rule:
              kind === 'count'
                ? { kind: 'count', type: FACT_TYPES.packOpened, threshold }
                : { kind: 'distinct', type: FACT_TYPES.tradeCompleted, key: 'partnerId', threshold },
            reward: { points: 3 },
            payout: 'auto',
          };
          const early = Array.from({ length: N }, () => uuidv7());
          const late = Array.from({ length: N }, () => uuidv7());
          for (const e of play(specs, early)) await recordFacts(db, factsOf(e));
          const created = await createAchievement(db, entry);
          for (const e of play(specs, late)) await recordFacts(db, factsOf(e));

          const done = new Set(await repo.completedUsers(db, entry.code));
          const earlyAwards = early.map((u) => done.has(u));
          const lateAwards = late.map((u) => done.has(u));
          expect(earlyAwards).toEqual(lateAwards);
          // Earlier runs' users hold facts too and may qualify: at least this run's early group was awarded.
          expect(created.backfill.completed).toBeGreaterThanOrEqual(earlyAwards.filter(Boolean).length);
          const payouts = await payoutCounts(db, [...early, ...late]);
          for (const [i, u] of early.entries()) {
            const w = late[i] ?? '';
            const key = (x: string) => `${x}:achievement:${entry.code}`;
            expect(payouts.get(key(u)) ?? 0).toBe(payouts.get(key(w)) ?? 0);
            expect(await pointsOf(db, u)).toBe(await pointsOf(db, w));
          }
          // Running it again changes nothing.
          const again = await backfillAchievement(db, entry.code);
          expect(again.completed).toBe(0);
        },
      ),
      { numRuns: 12 },
    );
    await expectBooksBalanced(db);
  }, 120_000);

  it('start-up sync adds new catalogue entries and backfills only those not evaluated yet', async () => {
    const db = t.runtime.ctx.db;
    const u = uuidv7();
    await recordFacts(db, factsOf(packOpened(u)));
    await recordFacts(db, factsOf(packOpened(u)));
    const entry: CatalogueEntry = {
      code: 'sync_two_packs',
      name: 'Two packs',
      description: 'test',
      rule: { kind: 'count', type: FACT_TYPES.packOpened, threshold: 2 },
      reward: { points: 5 },
      payout: 'auto',
    };
    expect(await syncCatalogue(db, [entry])).toEqual(['sync_two_packs']);
    expect(await syncCatalogue(db, [entry])).toEqual([]);
    const results = await backfillPending(db);
    expect(results.map((r) => r.code)).toContain('sync_two_packs');
    expect((await repo.findProgress(db, u, 'sync_two_packs'))?.completedAt).not.toBeNull();
    expect(await backfillPending(db)).toEqual([]);
    expect((await payoutCounts(db, [u])).get(`${u}:achievement:sync_two_packs`)).toBe(1);
  }, 60_000);
});
