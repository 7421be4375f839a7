import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
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
import { recordFacts, syncCatalogue } from './service.ts';

/*
 * Parallel deliveries through two processes on one database (PostgreSQL when TEST_DATABASE_URL is
 * set; on the embedded database the same calls interleave on one connection): the same events
 * delivered many times at once pay once, and distinct events of one user racing each other still
 * add up (each sees the other's facts), so a threshold reached only by both together is reached.
 */

const EXTRA: CatalogueEntry[] = [
  {
    code: 'race_packs_4',
    name: 'Four packs',
    description: 'test',
    rule: { kind: 'count', type: FACT_TYPES.packOpened, threshold: 4 },
    reward: { points: 40, coins: 4 },
    payout: 'auto',
  },
];

let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  a = await startRewardsApp();
  b = onPostgres ? await startRewardsApp({}, a.database) : a;
  await syncCatalogue(a.runtime.ctx.db, EXTRA);
}, 120_000);
afterAll(async () => {
  if (b !== a) await b?.close();
  await a?.close();
});

const dbOf = (i: number) => (i % 2 === 0 ? a : b).runtime.ctx.db;

describe('concurrent deliveries', () => {
  it('pay every reward once when the same events arrive many times at once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const [u, v] = [uuidv7(), uuidv7()];
      const events = [packOpened(u), tradeCompleted(u, v), packOpened(v)];
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => i).flatMap((i) =>
          events.map((e) => recordFacts(dbOf(i), factsOf(i % 3 === 0 ? { ...e, id: uuidv7() } : e))),
        ),
      );
      const payouts = await payoutCounts(a.runtime.ctx.db, [u, v]);
      expect(payouts.get(`${u}:achievement:first_pack`)).toBe(1);
      expect(payouts.get(`${u}:achievement:first_trade`)).toBe(1);
      expect(payouts.get(`${v}:achievement:first_pack`)).toBe(1);
      expect(payouts.get(`${v}:achievement:first_trade`)).toBe(1);
      expect([...payouts.values()].every((n) => n === 1)).toBe(true);
      // first_pack 50 + first_trade 50
      expect(await pointsOf(a.runtime.ctx.db, u)).toBe(100n);
      expect(await pointsOf(a.runtime.ctx.db, v)).toBe(100n);
    }
    await expectBooksBalanced(a.runtime.ctx.db);
  }, 60_000);

  it('count distinct events of one user delivered in parallel: the threshold is reached once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const u = uuidv7();
      const events = Array.from({ length: 4 }, () => packOpened(u));
      // Each event twice, all at once, half through each process.
      await Promise.all([...events, ...events].map((e, i) => recordFacts(dbOf(i), factsOf(e))));
      const row = await repo.findProgress(a.runtime.ctx.db, u, 'race_packs_4');
      expect(row?.progress).toBe(4);
      expect(row?.completedAt).not.toBeNull();
      const payouts = await payoutCounts(a.runtime.ctx.db, [u]);
      expect(payouts.get(`${u}:achievement:race_packs_4`)).toBe(1);
      expect(await pointsOf(a.runtime.ctx.db, u)).toBe(90n);
    }
    await expectBooksBalanced(a.runtime.ctx.db);
  }, 60_000);
});
