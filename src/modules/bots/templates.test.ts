import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { rulesStrategy, validateRules, type RulesDocument } from './rules.ts';
import { checkOutput } from './sandbox/output.ts';
import type { Candle, Holding, Intent, OpenOrderView, StrategyInput, StrategyOutput } from './strategy.ts';
import { STRATEGY_TEMPLATES } from './templates.ts';

const HOUR = 3_600_000;

function candlesOf(closes: readonly number[]): Candle[] {
  return closes.map((close, i) => {
    const open = closes[i - 1] ?? close;
    return { start: i * HOUR, open, high: Math.max(open, close), low: Math.min(open, close), close, volume: 1 };
  });
}

/** `count` closes moving evenly from `from` to `to` (both included). */
function line(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round(from + ((to - from) * i) / (count - 1)));
}

function rulesOf(id: string): RulesDocument {
  const template = STRATEGY_TEMPLATES.find((t) => t.id === id);
  if (template?.kind !== 'rules') throw new Error(`no rules template ${id}`);
  return template.document;
}

interface Trade {
  step: number;
  intent: Intent;
}

/** Runs a rules template over one card's closes, filling each order at once at the close. */
async function trades(doc: RulesDocument, closes: readonly number[]): Promise<Trade[]> {
  const strategy = rulesStrategy(doc);
  const all = candlesOf(closes);
  const done: Trade[] = [];
  let held: Holding | undefined;
  let state: Record<string, unknown> = {};
  let lastExitAt: Record<string, number> = {};
  for (let step = 0; step < all.length; step++) {
    const close = all[step]?.close ?? 0;
    if (held) held = { ...held, peakPrice: Math.max(held.peakPrice, close) };
    const input: StrategyInput = {
      time: (step + 1) * HOUR,
      interval: '1h',
      candles: { card: all.slice(Math.max(0, step - 199), step + 1) },
      cash: 1_000_000,
      holdings: held ? { card: held } : {},
      openOrders: [],
      lastExitAt,
      state,
    };
    const output = await strategy.decide(input);
    state = output.state ?? {};
    for (const intent of output.intents) {
      done.push({ step, intent });
      if (intent.action === 'buy') {
        const quantity = (held?.quantity ?? 0) + intent.quantity;
        held = { quantity, entryPrice: close, peakPrice: close, openedAt: input.time };
      } else if (intent.action === 'sell') {
        held = undefined;
        lastExitAt = { card: input.time };
      }
    }
  }
  return done;
}

const actions = (list: Trade[]) => list.map((t) => t.intent.action);

describe('templates', () => {
  it('have unique ids, a name and a description, and cannot be changed', () => {
    const ids = STRATEGY_TEMPLATES.map((t) => t.id);
    expect(ids).toEqual(['sma-crossover', 'rsi-mean-reversion', 'bollinger-breakout', 'dca', 'grid']);
    for (const template of STRATEGY_TEMPLATES) {
      expect(template.name.length).toBeGreaterThan(0);
      expect(template.description.length).toBeGreaterThan(20);
    }
    expect(Object.isFrozen(rulesOf('dca').entry.size)).toBe(true);
  });

  it.each(STRATEGY_TEMPLATES.filter((t) => t.kind === 'rules').map((t) => [t.id]))('%s is a valid document', (id) => {
    const doc = rulesOf(id);
    expect(validateRules(doc)).toEqual({ ok: true, doc });
  });

  it('sma-crossover buys on the way up and sells on the way down', async () => {
    const closes = [...line(2_000, 1_200, 40), ...line(1_220, 2_400, 40), ...line(2_380, 1_200, 40)];
    const list = await trades(rulesOf('sma-crossover'), closes);
    expect(actions(list)).toEqual(['buy', 'sell']);
    expect(list[0]?.step).toBeGreaterThan(40);
    expect(list[0]?.intent).toMatchObject({ reason: 'sma(10) crosses above sma(30)' });
    expect(list[1]?.step).toBeGreaterThan(80);
  });

  it('rsi-mean-reversion buys the dip and sells the rebound', async () => {
    const closes = [...line(1_000, 1_040, 20), ...line(1_030, 950, 9), ...line(955, 1_050, 15)];
    const list = await trades(rulesOf('rsi-mean-reversion'), closes);
    expect(actions(list)).toEqual(['buy', 'sell']);
    expect(list[0]?.intent).toMatchObject({ reason: 'rsi(14) < 30' });
    expect(list[1]?.intent).toMatchObject({ reason: 'exit: rsi(14) > 60' });
  });

  it('bollinger-breakout buys the breakout and sells when it fades', async () => {
    const calm = Array.from({ length: 40 }, (_, i) => 1_000 + (i % 2 === 0 ? 5 : -5));
    const closes = [...calm, 1_060, 1_080, 1_090, 1_050, 1_000, 980];
    const list = await trades(rulesOf('bollinger-breakout'), closes);
    expect(actions(list)).toEqual(['buy', 'sell']);
    expect(list[0]).toMatchObject({ step: 40, intent: { reason: 'close crosses above bollinger(20,2).upper' } });
  });

  it('dca buys one card every 24 candles, whatever the price', async () => {
    const closes = line(1_000, 500, 100);
    const list = await trades(rulesOf('dca'), closes);
    expect(list.map((t) => t.step)).toEqual([0, 24, 48, 72, 96]);
    expect(list.every((t) => t.intent.action === 'buy' && t.intent.quantity === 1)).toBe(true);
  });
});

describe('grid template', () => {
  const template = STRATEGY_TEMPLATES.find((t) => t.id === 'grid');
  const source = template?.kind === 'code' ? template.source : '';

  /** Runs the grid code as the sandbox would: a fresh global scope, JSON in and out. */
  function grid(input: StrategyInput): StrategyOutput {
    const scope: { decide?: (input: unknown) => unknown } = {};
    runInNewContext(source, scope);
    if (typeof scope.decide !== 'function') throw new Error('the grid defines no decide');
    const output: unknown = JSON.parse(JSON.stringify(scope.decide(JSON.parse(JSON.stringify(input)))));
    const checked = checkOutput(output);
    if (!checked.ok) throw new Error(checked.problem);
    return checked.output;
  }

  const resting = (id: string, side: 'buy' | 'sell', price: number, remaining = 1): OpenOrderView => ({
    id,
    variantId: 'a',
    side,
    price,
    quantity: remaining,
    remaining,
    placedAt: 0,
  });
  const at = (close: number, extra: Partial<StrategyInput> = {}): StrategyInput => ({
    time: HOUR,
    interval: '1h',
    candles: { a: candlesOf([close]) },
    cash: 1_000_000,
    holdings: {},
    openOrders: [],
    lastExitAt: {},
    state: {},
    ...extra,
  });
  const holding = (quantity: number): Holding => ({ quantity, entryPrice: 9_000, peakPrice: 9_000, openedAt: 0 });
  const limit = (action: 'buy' | 'sell', price: number) => ({
    action,
    variantId: 'a',
    type: 'limit',
    quantity: 1,
    price,
    reason: `grid ${action}`,
  });

  it('uses no imports and only the input', () => {
    expect(source).not.toMatch(/\b(import|require|process|globalThis|Date|Math\.random)\b/);
  });

  it('places buys on the rungs below the close, and sells only what it holds', () => {
    expect(grid(at(10_000))).toEqual({
      intents: [limit('buy', 9_900), limit('buy', 9_800), limit('buy', 9_700)],
      state: { anchors: { a: 10_000 } },
    });
    expect(grid(at(10_000, { holdings: { a: holding(2) } })).intents).toEqual([
      limit('buy', 9_900),
      limit('buy', 9_800),
      limit('buy', 9_700),
      limit('sell', 10_100),
      limit('sell', 10_200),
    ]);
  });

  it('keeps orders on the ladder when the price moves, and cancels those that fell off', () => {
    const input = at(10_150, {
      state: { anchors: { a: 10_000 } },
      holdings: { a: holding(5) },
      openOrders: [
        resting('b1', 'buy', 9_900),
        resting('b2', 'buy', 9_800),
        resting('b3', 'buy', 9_700),
        resting('s1', 'sell', 10_100),
        resting('s2', 'sell', 10_200),
        resting('s3', 'sell', 10_300),
      ],
    });
    expect(grid(input).intents).toEqual([
      { action: 'cancel', orderId: 'b2', reason: 'off the grid' },
      { action: 'cancel', orderId: 'b3', reason: 'off the grid' },
      { action: 'cancel', orderId: 's1', reason: 'off the grid' },
      limit('buy', 10_100),
      limit('buy', 10_000),
      limit('sell', 10_400),
    ]);
  });

  it('spends no more than its cash and rebuilds the ladder after a large move', () => {
    expect(grid(at(10_000, { cash: 15_000 })).intents).toEqual([limit('buy', 9_900)]);
    const moved = grid(at(16_000, { state: { anchors: { a: 10_000 } } }));
    expect(moved.state).toEqual({ anchors: { a: 16_000 } });
    expect(moved.intents).toEqual([limit('buy', 15_840), limit('buy', 15_680), limit('buy', 15_520)]);
  });

  it('never oversells, overspends or cancels orders it does not have', () => {
    const ids = fc.constantFrom('a', 'b');
    const inputArb = fc.record({
      closes: fc.dictionary(ids, fc.integer({ min: 1, max: 50_000 }), { minKeys: 1 }),
      cash: fc.integer({ min: 0, max: 100_000 }),
      holdings: fc.dictionary(ids, fc.integer({ min: 0, max: 6 })),
      orders: fc.array(
        fc.record({
          variantId: ids,
          side: fc.constantFrom('buy' as const, 'sell' as const),
          price: fc.option(fc.integer({ min: 1, max: 50_000 })),
          remaining: fc.integer({ min: 1, max: 3 }),
        }),
        { maxLength: 8 },
      ),
      anchors: fc.dictionary(ids, fc.integer({ min: 1, max: 50_000 })),
    });
    fc.assert(
      fc.property(inputArb, ({ closes, cash, holdings, orders, anchors }) => {
        const input: StrategyInput = {
          ...at(0),
          candles: Object.fromEntries(Object.entries(closes).map(([id, close]) => [id, candlesOf([close])])),
          cash,
          holdings: Object.fromEntries(Object.entries(holdings).map(([id, quantity]) => [id, holding(quantity)])),
          openOrders: orders.map((o, i) => ({ ...o, id: `o${i}`, quantity: o.remaining, placedAt: 0 })),
          state: { anchors },
        };
        const { intents } = grid(input);
        let spent = 0;
        const sold: Record<string, number> = {};
        for (const intent of intents) {
          if (intent.action === 'cancel') {
            expect(input.openOrders.map((o) => o.id)).toContain(intent.orderId);
            continue;
          }
          expect(intent.price).toBeGreaterThanOrEqual(1);
          if (intent.action === 'buy') spent += (intent.price ?? 0) * intent.quantity;
          else sold[intent.variantId] = (sold[intent.variantId] ?? 0) + intent.quantity;
        }
        expect(spent).toBeLessThanOrEqual(cash);
        for (const [id, quantity] of Object.entries(sold)) {
          const waiting = input.openOrders.filter((o) => o.variantId === id && o.side === 'sell');
          const free = (holdings[id] ?? 0) - waiting.reduce((sum, o) => sum + o.remaining, 0);
          expect(quantity).toBeLessThanOrEqual(free);
        }
      }),
    );
  });
});
