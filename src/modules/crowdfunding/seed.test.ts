import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV, json } from '../../../test/helpers/http.ts';
import { modules } from '../index.ts';
import { reconcile } from '../ledger/index.ts';

/* The demo campaigns: one in each state a visitor meets, all through the ledger. */

let t: TestApp;

// The modules whose demo data the campaigns build on (users, coins, cards, the traders' stock).
const NEEDED = new Set(['identity', 'notifications', 'ledger', 'cards', 'market', 'crowdfunding']);

beforeAll(async () => {
  t = await createTestApp({
    env: { ...QUIET_ENV, SEED_DEMO: 'true' },
    seed: true,
    modules: modules.filter((m) => NEEDED.has(m.name)),
  });
}, 300_000);
afterAll(() => t?.close());

interface Listed {
  id: string;
  title: string;
  state: string;
  pledged: number;
  goal: number;
  backers: number;
  fee: number | null;
  payout: number | null;
}

describe('demo campaigns', () => {
  it('lists a live, a funded and a failed campaign on first start, and the ledger reconciles', async () => {
    const list = json<{ items: Listed[] }>(
      expectStatus(await t.app.inject({ url: '/api/crowdfunding/campaigns?limit=100' }), 200),
    );
    const byState = new Map(list.items.map((c) => [c.state, c]));
    expect([...byState.keys()].sort()).toEqual(['failed', 'funded', 'live']);
    const funded = byState.get('funded');
    expect(funded?.pledged).toBeGreaterThanOrEqual(funded?.goal ?? Infinity);
    expect((funded?.fee ?? 0) + (funded?.payout ?? 0)).toBe(funded?.pledged);
    expect(byState.get('live')?.backers).toBe(2);
    expect(byState.get('failed')?.pledged).toBeLessThan(byState.get('failed')?.goal ?? 0);
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);
  });

  it('has a campaign waiting for review in the admin queue', async () => {
    const r = await t.runtime.ctx.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM crowdfunding_campaigns WHERE state = 'pending_approval'`,
    );
    expect(r.rows[0]?.n).toBe(1);
  });
});
