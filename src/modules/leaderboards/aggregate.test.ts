import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import type { Db } from '../../platform/db/tx.ts';
import { recordEvents } from '../../platform/events/index.ts';
import { BOTS_EVENTS, recordReport } from '../bots/index.ts';
import { noticeBots, rebuildAll, refreshDirty } from './aggregate.ts';
import type { QualificationRules } from './compute.ts';
import { botStandings, orderByStanding } from './contract.ts';
import { botBoard } from './service.ts';
import {
  addEquity,
  addFill,
  clearBoards,
  DAY,
  HOUR,
  insertBotRecord,
  type BotSpec,
} from '../../../test/support/leaderboards.ts';

/*
 * The aggregation job's rules: a new fill recomputes only its bot; qualification; a new strategy
 * version restarts a bot's record; ties are broken the same way every time; wash-flagged trades
 * never count unless staff dismissed the flag.
 */

let t: TestApp;
const db = (): Db => t.runtime.ctx.db;
const NOW = Date.UTC(2026, 5, 1);
const RULES: QualificationRules = { minTrades: 1, minAgeHours: 48, minAllocation: 1000 };
const owner = uuidv7();
const card = uuidv7();

beforeAll(async () => {
  t = await createTestApp({ env: QUIET_ENV });
}, 60_000);
afterAll(() => t?.close());
beforeEach(() => clearBoards(db()));

/** Hourly equity over `days` ending at NOW, rising by `step` per point from 100 000. */
function rising(days: number, step: number, end = NOW) {
  const points = days * 24;
  return Array.from({ length: points + 1 }, (_, i) => ({ t: end - (points - i) * HOUR, equity: 100_000 + i * step }));
}

/** A round trip (buy then sell) `hoursAgo` before NOW. */
const roundTrip = (hoursAgo: number, buy: number, sell: number, wash?: 'open' | 'dismissed') => [
  { variantId: card, side: 'buy' as const, price: buy, quantity: 1, fee: 0, at: NOW - (hoursAgo + 1) * HOUR },
  {
    variantId: card,
    side: 'sell' as const,
    price: sell,
    quantity: 1,
    fee: 0,
    at: NOW - hoursAgo * HOUR,
    ...(wash ? { wash } : {}),
  },
];

function bot(extra: Partial<BotSpec> = {}): BotSpec {
  return {
    ownerId: owner,
    mode: 'paper',
    allocation: 100_000,
    createdAt: NOW - 20 * DAY,
    equity: rising(10, 10),
    fills: roundTrip(5, 100, 110),
    ...extra,
  };
}

const computedAt = async (id: string) =>
  (
    await db().execute<{ period: string; computed_at: string }>(
      sql`SELECT period, computed_at::text FROM leaderboard_entries WHERE subject_id = ${id} ORDER BY period`,
    )
  ).rows;

describe('incremental recomputation', () => {
  it('a new fill, announced by its bot’s run event, recomputes only that bot', async () => {
    const a = await insertBotRecord(db(), bot());
    const b = await insertBotRecord(db(), bot({ equity: rising(10, 20) }));
    await rebuildAll({ db: db(), rules: RULES, now: () => NOW });
    const before = { a: await computedAt(a), b: await computedAt(b) };
    expect((await botStandings(db(), [a], '30d')).get(a)?.trades).toBe(1);

    await addFill(db(), a, owner, 'paper', roundTrip(2, 100, 130)[0] as never);
    await addFill(db(), a, owner, 'paper', roundTrip(2, 100, 130)[1] as never);
    // What the runner writes with a tick: an outbox event about the bot, handled by the module.
    await recordEvents(db(), [
      { type: BOTS_EVENTS.publish, aggregateType: 'bot', aggregateId: a, payload: { userId: owner, message: {} } },
    ]);
    await drainOutbox(t);
    expect(await refreshDirty({ db: db(), rules: RULES, now: () => NOW + 60_000 })).toBe(1);

    const after = { a: await computedAt(a), b: await computedAt(b) };
    expect(after.b).toEqual(before.b);
    for (const [i, row] of after.a.entries()) expect(row.computed_at).not.toBe(before.a[i]?.computed_at);
    expect((await botStandings(db(), [a], '30d')).get(a)?.trades).toBe(2);
    // Nothing left to do until the next change.
    expect(await refreshDirty({ db: db(), rules: RULES, now: () => NOW + 120_000 })).toBe(0);
  });

  it('a deleted bot leaves the boards at its next recomputation', async () => {
    const a = await insertBotRecord(db(), bot());
    await rebuildAll({ db: db(), rules: RULES, now: () => NOW });
    await db().execute(sql`DELETE FROM bots WHERE id = ${a}`);
    await noticeBots(db(), [a], new Date(NOW));
    await refreshDirty({ db: db(), rules: RULES, now: () => NOW });
    expect((await botStandings(db(), [a], 'all')).size).toBe(0);
  });
});

describe('qualification', () => {
  it('ranks only bots with the trades, age and allocation the rules ask for, and says why not', async () => {
    const ok = await insertBotRecord(db(), bot());
    const poor = await insertBotRecord(db(), bot({ allocation: 999 }));
    const young = await insertBotRecord(db(), bot({ createdAt: NOW - 30 * HOUR, equity: rising(1, 10) }));
    const idle = await insertBotRecord(db(), bot({ fills: [] }));
    await rebuildAll({ db: db(), rules: RULES, now: () => NOW });
    const standings = await botStandings(db(), [ok, poor, young, idle], '7d');
    expect(standings.get(ok)).toMatchObject({ qualified: true, rank: 1 });
    for (const id of [poor, young, idle]) expect(standings.get(id)).toMatchObject({ qualified: false, rank: null });
    const reasons = await db().execute<{ subject_id: string; reason: string }>(
      sql`SELECT subject_id, reason FROM leaderboard_entries WHERE period = '7d'`,
    );
    const why = new Map(reasons.rows.map((r) => [r.subject_id, r.reason]));
    expect(why.get(poor)).toMatch(/allocation/);
    expect(why.get(young)).toMatch(/hours/);
    expect(why.get(idle)).toMatch(/closed trades/);
    const page = await botBoard({ db: db() }, { mode: 'paper', period: '7d', metric: 'return', limit: 20 }, null);
    expect(page.items.map((i) => i.botId)).toEqual([ok]);
    // minTrades narrows the board further; ranks restart within the filter.
    const strict = await botBoard(
      { db: db() },
      { mode: 'paper', period: '7d', metric: 'return', limit: 20, minTrades: 2 },
      owner,
    );
    expect(strict.items).toEqual([]);
    expect(strict.myRank).toBeNull();
  });

  it('keeps live, paper and backtest boards apart', async () => {
    const live = await insertBotRecord(db(), bot({ mode: 'live' }));
    const paper = await insertBotRecord(db(), bot());
    await rebuildAll({ db: db(), rules: RULES, now: () => NOW });
    const ids = async (mode: 'live' | 'paper' | 'backtest') =>
      (await botBoard({ db: db() }, { mode, period: '30d', metric: 'return', limit: 20 }, null)).items.map(
        (i) => i.botId,
      );
    expect(await ids('live')).toEqual([live]);
    expect(await ids('paper')).toEqual([paper]);
    expect(await ids('backtest')).toEqual([]);
  });
});

describe('strategy versions', () => {
  it('a bot that changed version counts only its record since the new version', async () => {
    const id = await insertBotRecord(
      db(),
      bot({ equity: rising(10, 50, NOW - 3 * DAY), fills: roundTrip(100, 100, 200) }),
    );
    await rebuildAll({ db: db(), rules: RULES, now: () => NOW - 3 * DAY });
    const old = (await botStandings(db(), [id], 'all')).get(id);
    expect(old?.totalReturn).toBeGreaterThan(0);

    // Paused, moved to version 2, resumed: the resume's event is when the new record starts.
    const resumedAt = NOW - 3 * DAY + HOUR;
    await db().execute(sql`UPDATE bots SET strategy_version = 2 WHERE id = ${id}`);
    await noticeBots(db(), [id], new Date(resumedAt));
    const fresh = [
      { t: resumedAt + HOUR, equity: 200_000 },
      ...Array.from({ length: 60 }, (_, i) => ({ t: resumedAt + (i + 2) * HOUR, equity: 200_000 - i * 100 })),
    ];
    await addEquity(db(), id, fresh);
    for (const f of roundTrip(10, 100, 90)) await addFill(db(), id, owner, 'paper', f);
    await refreshDirty({ db: db(), rules: RULES, now: () => NOW });

    const now = (await botStandings(db(), [id], 'all')).get(id);
    const expected = recordReport(fresh, roundTrip(10, 100, 90));
    expect(now?.totalReturn).toBe('value' in expected.totalReturn ? expected.totalReturn.value : null);
    expect(now?.totalReturn).toBeLessThan(0);
    expect(now?.trades).toBe(1);
    // The new record is about 70 hours old: past the 48-hour rule, so it stays ranked.
    expect(now).toMatchObject({ qualified: true, rank: 1 });
  });
});

describe('ties', () => {
  it('equal values rank by trades (more first), then by bot id, every time', async () => {
    const same = rising(10, 10);
    const ids = [
      await insertBotRecord(db(), bot({ equity: same, fills: roundTrip(5, 100, 110) })),
      await insertBotRecord(db(), bot({ equity: same, fills: [...roundTrip(5, 100, 110), ...roundTrip(8, 50, 40)] })),
      await insertBotRecord(db(), bot({ equity: same, fills: roundTrip(5, 100, 110) })),
    ];
    const [one, two, three] = ids as [string, string, string];
    const expected = [two, ...[one, three].sort()];
    for (let i = 0; i < 2; i++) {
      await rebuildAll({ db: db(), rules: RULES, now: () => NOW + i });
      const page = await botBoard({ db: db() }, { mode: 'paper', period: '30d', metric: 'return', limit: 20 }, null);
      expect(page.items.map((x) => x.botId)).toEqual(expected);
      expect(await orderByStanding(db(), [three, one, two], 'return', '30d')).toEqual(expected);
    }
    // Unknown bots come last, by id.
    const stranger = uuidv7();
    expect(await orderByStanding(db(), [stranger, one], 'return', '30d')).toEqual([one, stranger]);
  });
});

describe('wash trading', () => {
  it('an open flag takes the trade out; a dismissed one leaves it in', async () => {
    const flagged = await insertBotRecord(
      db(),
      bot({ mode: 'live', fills: [...roundTrip(5, 100, 110), ...roundTrip(8, 100, 300, 'open')] }),
    );
    const dismissed = await insertBotRecord(
      db(),
      bot({ mode: 'live', fills: [...roundTrip(5, 100, 110), ...roundTrip(8, 100, 300, 'dismissed')] }),
    );
    await rebuildAll({ db: db(), rules: RULES, now: () => NOW });
    const s = await botStandings(db(), [flagged, dismissed], '30d');
    expect(s.get(flagged)?.trades).toBe(1);
    expect(s.get(dismissed)?.trades).toBe(2);
  });
});
