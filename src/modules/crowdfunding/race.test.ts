import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { walletAccountId } from '../ledger/index.ts';
import * as repo from './repo.ts';
import {
  campaignBody,
  contribute,
  createCampaign,
  expectBooksBalanced,
  grantCoins,
  total,
} from '../../../test/support/crowdfunding.ts';

/*
 * Backers racing for the last unit of a limited tier, through two API processes on one PostgreSQL
 * database: exactly one wins each round, the others get 409 `tier_sold_out` and keep their coins.
 */

const ROUNDS = 6;
const RACERS = 4;
let a: TestApp;
let b: TestApp;
let creator: CreatedTestUser;
let racers: CreatedTestUser[];

beforeAll(async () => {
  if (!onPostgres) return;
  a = await createTestApp({ env: QUIET_ENV });
  b = await createTestApp({ env: QUIET_ENV, database: a.database });
  creator = await createTestUser(a);
  racers = [];
  for (let i = 0; i < RACERS; i += 1) {
    const u = await createTestUser(a);
    await grantCoins(a.runtime.ctx.db, u.id, 1_000_000n);
    racers.push(u);
  }
}, 60_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('concurrent pledges on the last unit of a tier', () => {
  it.skipIf(!onPostgres)('exactly one wins; the losers get a clear 409 and keep their money', async () => {
    const db = a.runtime.ctx.db;
    for (let round = 0; round < ROUNDS; round += 1) {
      const c = await createCampaign(
        a,
        creator,
        campaignBody({ tiers: [{ title: 'Last one', description: '', minPledge: 1_000, quantity: 1 }] }),
      );
      const tierId = c.tiers[0]?.id;
      const before = await Promise.all(racers.map((u) => total(db, walletAccountId(u.id))));
      const replies = await Promise.all(
        racers.map((u, i) => contribute(i % 2 === 0 ? a : b, u, { campaignId: c.id, amount: 5_000, tierId })),
      );
      const statuses = replies.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      for (const r of replies.filter((x) => x.statusCode !== 201)) {
        expect(r.statusCode, r.body).toBe(409);
        expect(r.json<{ code: string }>().code).toBe('tier_sold_out');
      }
      const after = await Promise.all(racers.map((u) => total(db, walletAccountId(u.id))));
      for (const [i, r] of replies.entries()) {
        expect(after[i]).toBe((before[i] ?? 0n) - (r.statusCode === 201 ? 5_000n : 0n));
      }
      const tiers = await repo.tiersOf(db, c.id);
      expect(tiers[0]?.claimed).toBe(1);
      expect((await repo.findCampaign(db, c.id))?.pledged).toBe(5_000n);
    }
    await expectBooksBalanced(db);
  });
});
