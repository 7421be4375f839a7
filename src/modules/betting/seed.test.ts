import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV, json } from '../../../test/helpers/http.ts';
import { reconcile } from './ports.ts';
import type { EventView } from '../../../test/support/betting.ts';

/* The demo data: open events of both market types and a price event, one settled event with payouts. */

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, SEED_DEMO: 'true' }, seed: true });
}, 300_000);
afterAll(() => t?.close());

describe('demo betting data', () => {
  it('shows open and settled events with bets on first start, and the ledger reconciles', async () => {
    const open = json<{ items: EventView[] }>(
      expectStatus(await t.app.inject({ url: '/api/betting/events?status=open' }), 200),
    ).items;
    const types = new Set(open.flatMap((e) => e.markets.map((m) => m.type)));
    expect(types).toEqual(new Set(['parimutuel', 'fixed']));
    expect(open.some((e) => (e as EventView & { kind: string }).kind === 'card_price')).toBe(true);
    expect(open.every((e) => e.markets.every((m) => m.totalStaked > 0))).toBe(true);
    const settled = json<{ items: EventView[] }>(
      expectStatus(await t.app.inject({ url: '/api/betting/events?status=settled' }), 200),
    ).items;
    expect(settled).toHaveLength(1);
    expect(settled[0]?.markets.map((m) => m.status)).toEqual(['settled', 'settled']);
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);
  });
});
