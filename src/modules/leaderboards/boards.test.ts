import fc from 'fast-check';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import type { Db } from '../../platform/db/tx.ts';
import { recordReport } from '../bots/index.ts';
import { rebuildAll } from './aggregate.ts';
import type { QualificationRules } from './compute.ts';
import type { BoardMetric, BoardPeriod } from './contract.ts';
import { BoardMirror } from './mirror.ts';
import { botBoard, preview, PREVIEW_BOARDS, PREVIEW_SIZE, type ReadDeps } from './service.ts';
import {
  clearBoards,
  DAY,
  HOUR,
  insertBotRecord,
  insertStrategy,
  type BotSpec,
} from '../../../test/support/leaderboards.ts';

/*
 * Board correctness as a property: for random bots, equity snapshots and fills (some live fills
 * flagged as wash trading), the stored boards equal a ranking computed by brute force from the raw
 * data with the bots' own metrics; the preview is the top of the full boards; and with Redis the
 * mirrored boards answer exactly as the database does.
 */

let t: TestApp;
const db = (): Db => t.runtime.ctx.db;
const NOW = Date.UTC(2026, 5, 1);
const RULES: QualificationRules = { minTrades: 1, minAgeHours: 48, minAllocation: 1000 };
const OWNERS = [uuidv7(), uuidv7(), uuidv7()];
const VARIANTS = [uuidv7(), uuidv7()];
const PERIOD_DAYS: Record<BoardPeriod, number | null> = { '7d': 7, '30d': 30, '90d': 90, all: null };
const METRICS: BoardMetric[] = ['return', 'sharpe', 'maxDrawdown', 'profitFactor'];

beforeAll(async () => {
  t = await createTestApp({ env: QUIET_ENV });
}, 60_000);
afterAll(() => t?.close());

const fillArb = fc.record({
  variantId: fc.constantFrom(...VARIANTS),
  side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell', 'buy'),
  price: fc.integer({ min: 1, max: 1000 }),
  quantity: fc.integer({ min: 1, max: 4 }),
  fee: fc.integer({ min: 0, max: 20 }),
  hoursAgo: fc.integer({ min: 0, max: 120 * 24 }),
  wash: fc.constantFrom<undefined | 'open' | 'dismissed'>(undefined, undefined, undefined, 'open', 'dismissed'),
});

const botArb = fc.record({
  owner: fc.integer({ min: 0, max: OWNERS.length - 1 }),
  mode: fc.constantFrom<'live' | 'paper'>('live', 'paper'),
  allocation: fc.constantFrom(500, 1000, 50_000),
  ageDays: fc.integer({ min: 1, max: 120 }),
  spacingHours: fc.integer({ min: 1, max: 72 }),
  equity: fc.array(fc.integer({ min: 1, max: 2_000_000 }), { minLength: 0, maxLength: 45 }),
  fills: fc.array(fillArb, { maxLength: 10 }),
  /** Same equity as the previous bot: a tie on return and drawdown. */
  copyPrevious: fc.boolean(),
});

type BotArb = typeof botArb extends fc.Arbitrary<infer T> ? T : never;

function specOf(b: BotArb, previous: BotSpec | undefined): BotSpec {
  const created = NOW - b.ageDays * DAY;
  const equity = b.equity
    .map((equity, i) => ({ t: created + i * b.spacingHours * HOUR, equity }))
    .filter((p) => p.t <= NOW);
  return {
    ownerId: OWNERS[b.owner] as string,
    mode: b.mode,
    allocation: b.allocation,
    createdAt: created,
    equity: b.copyPrevious && previous ? previous.equity : equity,
    fills: b.fills
      .filter((f) => NOW - f.hoursAgo * HOUR >= created)
      .map((f) => ({
        variantId: f.variantId,
        side: f.side,
        price: f.price,
        quantity: f.quantity,
        fee: f.fee,
        at: NOW - f.hoursAgo * HOUR,
        ...(b.mode === 'live' && f.wash ? { wash: f.wash } : {}),
      })),
  };
}

/** The board as brute force computes it from the raw record: [bot id, value] best first. */
function bruteForce(specs: Map<string, BotSpec>, mode: 'live' | 'paper', period: BoardPeriod, metric: BoardMetric) {
  const rows: { id: string; value: number; trades: number }[] = [];
  for (const [id, s] of specs) {
    if (s.mode !== mode) continue;
    const days = PERIOD_DAYS[period];
    const start = days === null ? s.createdAt : Math.max(s.createdAt, NOW - days * DAY);
    const equity = s.equity.filter((p) => p.t >= start && p.t <= NOW);
    const fills = s.fills.filter((f) => f.at >= start && f.at <= NOW && f.wash !== 'open');
    const report = recordReport(
      equity,
      [...fills].sort((a, b) => a.at - b.at),
    );
    const first = s.equity.find((p) => p.t >= s.createdAt);
    const ageHours = first ? (NOW - first.t) / HOUR : 0;
    const trades = report.tradeCount.value;
    const qualified = s.allocation >= RULES.minAllocation && ageHours >= RULES.minAgeHours && trades >= RULES.minTrades;
    const m = {
      return: report.totalReturn,
      sharpe: report.sharpe,
      maxDrawdown: report.maxDrawdown,
      profitFactor: report.profitFactor,
    }[metric];
    if (qualified && 'value' in m) rows.push({ id, value: m.value, trades });
  }
  const sign = metric === 'maxDrawdown' ? 1 : -1;
  rows.sort((a, b) => sign * (a.value - b.value) || b.trades - a.trades || (a.id < b.id ? -1 : 1));
  return rows.map((r) => [r.id, r.value, r.trades]);
}

/** Every page of a stored board, following the cursors. */
async function storedBoard(deps: ReadDeps, mode: 'live' | 'paper', period: BoardPeriod, metric: BoardMetric) {
  const all: (string | number)[][] = [];
  const ranks: number[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await botBoard(deps, { mode, period, metric, limit: 3, ...(cursor ? { cursor } : {}) }, null);
    for (const i of page.items) {
      all.push([i.botId as string, i.value, i.trades]);
      ranks.push(i.rank);
    }
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  expect(ranks).toEqual(ranks.map((_, i) => i + 1));
  return all;
}

describe('stored boards', () => {
  it('equal a brute-force ranking of the raw record, wash-flagged trades excluded', async () => {
    const redis = t.runtime.ctx.redis;
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(botArb, { minLength: 1, maxLength: 7 }), async (bots) => {
        await clearBoards(db());
        const specs = new Map<string, BotSpec>();
        let previous: BotSpec | undefined;
        for (const b of bots) {
          const spec = specOf(b, previous);
          previous = spec;
          const id = await insertBotRecord(db(), spec, await insertStrategy(db(), spec.ownerId));
          specs.set(id, spec);
        }
        const mirror = redis ? new BoardMirror(redis, `lb-test:${uuidv7()}:`) : undefined;
        await rebuildAll({ db: db(), rules: RULES, mirror, now: () => NOW });
        try {
          for (const mode of ['live', 'paper'] as const) {
            for (const period of ['7d', '30d', '90d', 'all'] as const) {
              for (const metric of METRICS) {
                const expected = bruteForce(specs, mode, period, metric);
                const stored = await storedBoard({ db: db() }, mode, period, metric);
                expect(stored).toEqual(expected);
                compared += stored.length;
                if (mirror) {
                  // The mirror is really there (not a fallback to the database), and agrees row for row.
                  expect(await mirror.page(mode, period, metric, 0, 1)).not.toBeNull();
                  expect(await storedBoard({ db: db(), mirror }, mode, period, metric)).toEqual(stored);
                  for (const owner of OWNERS) {
                    const q = { mode, period, metric, limit: 1 };
                    const fromRedis = await botBoard({ db: db(), mirror }, q, owner);
                    expect(fromRedis.myRank).toBe((await botBoard({ db: db() }, q, owner)).myRank);
                  }
                }
              }
            }
          }
          const top = await preview({ db: db() });
          for (const [i, b] of PREVIEW_BOARDS.entries()) {
            const full = await botBoard({ db: db() }, { ...b, limit: 100 }, null);
            expect(top.boards[i]?.items).toEqual(full.items.slice(0, PREVIEW_SIZE));
          }
        } finally {
          await mirror?.clear();
        }
      }),
      { numRuns: 12 },
    );
    expect(compared).toBeGreaterThan(0);
  }, 300_000);
});
