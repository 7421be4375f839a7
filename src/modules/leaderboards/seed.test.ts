import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV, json } from '../../../test/helpers/http.ts';

/* The demo boards: computed once at seeding, so the preview and full boards show data on first start. */

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, SEED_DEMO: 'true' }, seed: true });
}, 300_000);
afterAll(() => t?.close());

interface Preview {
  boards: { mode: string; metric: string; items: { botName: string; owner: string | null; rank: number }[] }[];
}

describe('demo boards', () => {
  it('ranks the demo paper bots and backtests and the demo collectors without any job having run', async () => {
    const body = json<Preview>(expectStatus(await t.app.inject({ url: '/api/leaderboards/preview' }), 200));
    const paper = body.boards.find((b) => b.mode === 'paper' && b.metric === 'return');
    expect(paper?.items.map((i) => i.owner).sort()).toEqual(['alice', 'maker_ada', 'maker_bram']);
    expect(paper?.items.map((i) => i.rank)).toEqual([1, 2, 3]);

    const { token } = await loginAlice();
    const backtests = json<{ items: { backtestId: string | null; botName: string }[]; myRank: number | null }>(
      expectStatus(
        await t.app.inject({
          url: '/api/leaderboards?mode=backtest&period=30d&metric=return',
          headers: { authorization: `Bearer ${token}` },
        }),
        200,
      ),
    );
    expect(backtests.items.length).toBe(3);
    expect(backtests.items.every((i) => i.backtestId !== null)).toBe(true);
    expect(backtests.myRank).not.toBeNull();
    const collectors = json<{ items: { username: string }[] }>(
      expectStatus(
        await t.app.inject({ url: '/api/leaderboards/collectors', headers: { authorization: `Bearer ${token}` } }),
        200,
      ),
    );
    expect(collectors.items.map((i) => i.username)).toContain('alice');
  });
});

async function loginAlice(): Promise<{ token: string }> {
  const { DEMO_ACCOUNTS } = await import('../identity/index.ts');
  const alice = DEMO_ACCOUNTS.find((a) => a.username === 'alice');
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email: alice?.email, password: alice?.password },
  });
  return { token: json<{ accessToken: string }>(expectStatus(res, 200)).accessToken };
}
