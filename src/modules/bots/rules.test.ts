import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRICE_SOURCES, type IndicatorSpec } from './indicators.ts';
import { RulesDocument, rulesStrategy, validateRules, type Condition } from './rules.ts';
import type { Candle, Holding, Intent, OpenOrderView, Strategy, StrategyInput, StrategyOutput } from './strategy.ts';

const HOUR = 3_600_000;

function candlesOf(closes: readonly number[]): Candle[] {
  return closes.map((close, i) => {
    const open = closes[i - 1] ?? close;
    return { start: i * HOUR, open, high: Math.max(open, close), low: Math.min(open, close), close, volume: 1 };
  });
}

/** The input at the close of the last candle of the first card. */
function inputFor(candles: Record<string, Candle[]>, extra: Partial<StrategyInput> = {}): StrategyInput {
  const first = Object.values(candles)[0] ?? [];
  return {
    time: (first.at(-1)?.start ?? 0) + HOUR,
    interval: '1h',
    candles,
    cash: 10_000,
    holdings: {},
    openOrders: [],
    lastExitAt: {},
    state: {},
    ...extra,
  };
}

function rules(entry: Partial<RulesDocument['entry']>, rest: Partial<RulesDocument> = {}): RulesDocument {
  return { version: 1, entry: { when: { always: true }, size: { kind: 'fixed', quantity: 1 }, ...entry }, ...rest };
}

async function decide(doc: RulesDocument, input: StrategyInput): Promise<StrategyOutput> {
  return rulesStrategy(doc).decide(input);
}

const sma = (period: number): IndicatorSpec => ({ indicator: 'sma', period });
const holding = (quantity: number, entryPrice: number, peakPrice = entryPrice): Holding => ({
  quantity,
  entryPrice,
  peakPrice,
  openedAt: 0,
});
const order = (variantId: string, side: 'buy' | 'sell', remaining: number, placedAt: number): OpenOrderView => ({
  id: `${variantId}-${side}`,
  variantId,
  side,
  price: 500,
  quantity: remaining,
  remaining,
  placedAt,
});
/** Close time of CROSS_UP's last candle. */
const CROSS_TIME = 7 * HOUR;

/** sma(2) crosses above sma(4) at the last of these closes. */
const CROSS_UP = [1000, 1000, 1000, 1000, 900, 800, 1200];
const CROSS_DOC = rules({
  when: { cross: 'above', left: sma(2), right: sma(4) },
  size: { kind: 'percent', percent: 50 },
});

describe('validateRules', () => {
  it('accepts a valid document and hands it back', () => {
    const result = validateRules(CROSS_DOC);
    expect(result).toEqual({ ok: true, doc: CROSS_DOC });
  });

  it.each<[string, unknown, { path: string; message: string }[]]>([
    [
      'a period out of range deep inside',
      rules({
        when: { all: [{ always: true }, { compare: '>', left: { indicator: 'sma', period: 0 }, right: { value: 1 } }] },
      }),
      [{ path: '/entry/when/all/1/left/period', message: 'must be >= 1' }],
    ],
    ['a document that is not an object', [], [{ path: '', message: 'must be an object' }]],
    [
      'a wrong version, an unknown field and a missing one',
      { version: 2, entry: { when: { always: true } }, extra: 1 },
      [
        { path: '/version', message: 'must be 1' },
        { path: '/entry/size', message: 'is required' },
        { path: '/extra', message: 'is not allowed' },
      ],
    ],
    [
      'an unknown indicator, operator and size kind',
      rules({
        when: { compare: '=>', left: { indicator: 'wma', period: 3 }, right: { value: 'x' } },
        size: { kind: 'all-in' },
      } as never),
      [
        { path: '/entry/when/compare', message: 'must be one of: >, <, >=, <=' },
        { path: '/entry/when/left/indicator', message: 'must be one of: price, sma, ema, rsi, macd, bollinger, atr' },
        { path: '/entry/when/right/value', message: 'must be number' },
        { path: '/entry/size/kind', message: 'must be one of: fixed, percent' },
      ],
    ],
    [
      'a condition of no known kind and an empty branch list',
      rules({ when: { any: [{ sometimes: true }] } } as never, { exit: { when: { all: [] } } }),
      [
        { path: '/entry/when/any/0', message: 'must have one of the keys: all, any, not, compare, cross, always' },
        { path: '/exit/when/all', message: 'must have at least 1 items' },
      ],
    ],
    [
      'percentages and order offsets out of range',
      rules(
        { size: { kind: 'percent', percent: 0 }, order: { type: 'limit', offsetBps: 6_000 } },
        { exit: { stopLossPct: 100, trailingStopPct: -1, takeProfitPct: 20 } },
      ),
      [
        { path: '/entry/size/percent', message: 'must be > 0' },
        { path: '/entry/order/offsetBps', message: 'must be <= 5000' },
        { path: '/exit/stopLossPct', message: 'must be < 100' },
        { path: '/exit/trailingStopPct', message: 'must be > 0' },
      ],
    ],
    [
      'a fractional quantity and an RSI of period 1',
      rules({
        when: { compare: '<', left: { indicator: 'rsi', period: 1 }, right: { value: 30 } },
        size: { kind: 'fixed', quantity: 1.5 },
      }),
      [
        { path: '/entry/when/left/period', message: 'must be >= 2' },
        { path: '/entry/size/quantity', message: 'must be integer' },
      ],
    ],
    [
      'a MACD whose fast period is not below its slow one',
      rules({
        when: {
          not: {
            cross: 'below',
            left: { indicator: 'macd', fast: 26, slow: 12, signal: 9, line: 'macd' },
            right: { value: 0 },
          },
        },
      }),
      [{ path: '/entry/when/not/left/fast', message: 'must be less than slow (12)' }],
    ],
    [
      'indicators that need more history than a bot sees',
      rules(
        { when: { cross: 'above', left: sma(200), right: sma(10) } },
        { exit: { when: { compare: '>', left: { indicator: 'ema', period: 201 }, right: { value: 1 } } } },
      ),
      [
        { path: '/entry/when/left/period', message: 'needs 201 candles of history; a bot sees 200' },
        { path: '/exit/when/left/period', message: 'needs 201 candles of history; a bot sees 200' },
      ],
    ],
    [
      'conditions that can never change',
      rules({
        when: {
          all: [
            { compare: '<', left: { value: 1 }, right: { value: 2 } },
            { cross: 'above', left: sma(5), right: { indicator: 'sma', source: 'close', period: 5 } },
          ],
        },
      }),
      [
        { path: '/entry/when/all/0/right', message: 'both sides are constants, so the result never changes' },
        { path: '/entry/when/all/1/right', message: 'is the same as left, so it can never cross it' },
      ],
    ],
    [
      'an exit with no rule',
      rules({}, { exit: {} }),
      [{ path: '/exit', message: 'must set at least one of when, stopLossPct, takeProfitPct, trailingStopPct' }],
    ],
  ])('reports %s at its exact path', (_name, doc, errors) => {
    expect(validateRules(doc)).toEqual({ ok: false, errors });
  });

  it('checks history against the lookback it is given', () => {
    const doc = rules({ when: { compare: '>', left: sma(50), right: { value: 1 } } });
    expect(validateRules(doc).ok).toBe(true);
    expect(validateRules(doc, 49)).toEqual({
      ok: false,
      errors: [{ path: '/entry/when/left/period', message: 'needs 50 candles of history; a bot sees 49' }],
    });
  });

  it('limits how deep conditions nest', () => {
    let when: Condition = { always: true };
    for (let i = 0; i < 8; i++) when = { not: when };
    expect(validateRules(rules({ when })).ok).toBe(true);
    expect(validateRules(rules({ when: { not: when } }))).toEqual({
      ok: false,
      errors: [{ path: `/entry/when${'/not'.repeat(8)}`, message: 'nests deeper than 8 levels' }],
    });
  });

  it('escapes unknown keys in error paths', () => {
    expect(validateRules({ ...rules({}), 'a/b~c': 1 })).toEqual({
      ok: false,
      errors: [{ path: '/a~1b~0c', message: 'is not allowed' }],
    });
  });

  it('refuses to build a strategy from an invalid document', () => {
    expect(() => rulesStrategy(rules({ size: { kind: 'fixed', quantity: 0 } }))).toThrow(/\/entry\/size\/quantity/);
  });
});

describe('entries', () => {
  it('buys a percent of cash in whole cards when the entry condition turns true', async () => {
    const out = await decide(CROSS_DOC, inputFor({ a: candlesOf(CROSS_UP) }));
    expect(out.intents).toEqual([
      { action: 'buy', variantId: 'a', type: 'market', quantity: 4, reason: 'sma(2) crosses above sma(4)' },
    ]);
  });

  it('does not buy once the cross is in the past', async () => {
    const out = await decide(CROSS_DOC, inputFor({ a: candlesOf([...CROSS_UP, 1300]) }));
    expect(out.intents).toEqual([]);
  });

  it('never trades while an indicator warms up, even under "not"', async () => {
    const doc = rules({
      when: { not: { compare: '>', left: { indicator: 'rsi', period: 14 }, right: { value: 50 } } },
    });
    const falling = Array.from({ length: 16 }, (_, i) => 2_000 - i * 10);
    expect((await decide(doc, inputFor({ a: candlesOf(falling.slice(0, 14)) }))).intents).toEqual([]);
    expect((await decide(doc, inputFor({ a: candlesOf(falling) }))).intents).toHaveLength(1);
    expect((await decide(CROSS_DOC, inputFor({ a: candlesOf(CROSS_UP.slice(-4)) }))).intents).toEqual([]);
  });

  it('does not add to an open position or stack buy orders', async () => {
    const candles = { a: candlesOf(CROSS_UP) };
    expect((await decide(CROSS_DOC, inputFor(candles, { holdings: { a: holding(1, 900) } }))).intents).toEqual([]);
    const waiting = [order('a', 'buy', 2, CROSS_TIME - HOUR + 1)];
    expect((await decide(CROSS_DOC, inputFor(candles, { openOrders: waiting }))).intents).toEqual([]);
  });

  it('cancels a limit entry that waited a whole candle', async () => {
    const input = inputFor({ a: candlesOf(CROSS_UP) });
    const stale = await decide(CROSS_DOC, { ...input, openOrders: [order('a', 'buy', 2, CROSS_TIME - HOUR)] });
    expect(stale.intents).toEqual([
      { action: 'cancel', orderId: 'a-buy', reason: 'entry order unfilled after a candle' },
    ]);
    const unwatched = await decide(CROSS_DOC, { ...input, openOrders: [order('z', 'buy', 2, 0)] });
    expect(unwatched.intents).toMatchObject([{ action: 'buy', variantId: 'a' }]);
  });

  it('keeps to maxOpenPositions, counting held cards and waiting buys', async () => {
    const doc = { ...CROSS_DOC, maxOpenPositions: 1 };
    const candles = { a: candlesOf(CROSS_UP) };
    expect((await decide(doc, inputFor(candles, { holdings: { z: holding(2, 100) } }))).intents).toEqual([]);
    expect((await decide(doc, inputFor(candles, { holdings: { z: holding(0, 100) } }))).intents).toHaveLength(1);
    const waiting = [order('z', 'buy', 1, CROSS_TIME)];
    expect((await decide(doc, inputFor(candles, { openOrders: waiting }))).intents).toEqual([]);
  });

  it('waits cooldownCandles after an exit', async () => {
    const doc = { ...CROSS_DOC, cooldownCandles: 3 };
    const input = inputFor({ a: candlesOf(CROSS_UP) });
    expect((await decide(doc, { ...input, lastExitAt: { a: input.time - 2 * HOUR } })).intents).toEqual([]);
    expect((await decide(doc, { ...input, lastExitAt: { a: input.time - 3 * HOUR } })).intents).toHaveLength(1);
  });

  it('buys a fixed quantity every N candles as a DCA, adding to what it holds', async () => {
    const dca = rules({ size: { kind: 'fixed', quantity: 2 } }, { cooldownCandles: 3 });
    const input = inputFor({ a: candlesOf([100]) }, { holdings: { a: holding(6, 100) } });
    const first = await decide(dca, input);
    expect(first.intents).toEqual([
      { action: 'buy', variantId: 'a', type: 'market', quantity: 2, reason: 'every candle' },
    ]);
    expect(first.state).toEqual({ lastEntryAt: { a: input.time } });
    const later = (hours: number) => ({ ...input, time: input.time + hours * HOUR, state: first.state ?? {} });
    expect((await decide(dca, later(2))).intents).toEqual([]);
    expect((await decide(dca, later(3))).intents).toHaveLength(1);
  });

  it('places limit buys below (or above) the close and sizes them within budget', async () => {
    const input = inputFor({ a: candlesOf(CROSS_UP) });
    const below = await decide(
      { ...CROSS_DOC, entry: { ...CROSS_DOC.entry, order: { type: 'limit', offsetBps: 100 } } },
      input,
    );
    expect(below.intents).toMatchObject([{ action: 'buy', type: 'limit', price: 1188, quantity: 4 }]);
    const above = await decide(
      { ...CROSS_DOC, entry: { ...CROSS_DOC.entry, order: { type: 'limit', offsetBps: -100 } } },
      input,
    );
    expect(above.intents).toMatchObject([{ action: 'buy', type: 'limit', price: 1212, quantity: 4 }]);
  });

  it('places no order when cash is short, and says why', async () => {
    const fixed = await decide(
      rules({ size: { kind: 'fixed', quantity: 3 } }),
      inputFor({ a: candlesOf([400]) }, { cash: 1_000 }),
    );
    expect(fixed.intents).toEqual([]);
    expect(fixed.notes).toEqual(['a: entry signal but not enough cash (3 cards cost about 1200)']);
    const tiny = await decide(
      rules({ size: { kind: 'percent', percent: 10 } }),
      inputFor({ a: candlesOf([400]) }, { cash: 1_000 }),
    );
    expect(tiny.intents).toEqual([]);
    expect(tiny.notes).toEqual(['a: entry signal but the budget buys no whole card']);
  });

  it('skips a fixed-size buy that no longer fits after another card took the cash', async () => {
    const doc = rules({ size: { kind: 'fixed', quantity: 3 } });
    const out = await decide(doc, inputFor({ b: candlesOf([100]), a: candlesOf([100]) }, { cash: 500 }));
    expect(out.intents).toMatchObject([{ variantId: 'a', quantity: 3 }]);
    expect(out.notes).toEqual(['b: entry signal but not enough cash (3 cards cost about 300)']);
  });

  it('gives the entry condition in words as the reason, within 200 characters', async () => {
    const price = (source: 'close' | 'volume'): IndicatorSpec => ({ indicator: 'price', source });
    const when: Condition = {
      all: [
        {
          any: [
            { compare: '>', left: price('close'), right: { value: 0 } },
            { compare: '>=', left: price('volume'), right: { value: 1 } },
          ],
        },
        { not: { compare: '<', left: price('close'), right: { value: 0 } } },
      ],
    };
    const input = inputFor({ a: candlesOf(Array.from({ length: 25 }, (_, i) => 100 + i)) });
    expect((await decide(rules({ when }), input)).intents).toMatchObject([
      { reason: '(close > 0 or volume >= 1) and not close < 0' },
    ]);
    const many: Condition = {
      all: Array.from({ length: 20 }, (_, i) => ({ compare: '>' as const, left: sma(i + 1), right: { value: 0 } })),
    };
    const [intent] = (await decide(rules({ when: many }), input)).intents;
    expect(intent?.reason).toHaveLength(200);
    expect(intent?.reason).toMatch(/^sma\(1\) > 0 and sma\(2\) > 0 .*…$/);
  });

  it('splits cash across cards in a fixed order', async () => {
    const doc = rules({ size: { kind: 'percent', percent: 60 } });
    const out = await decide(doc, inputFor({ b: candlesOf([100]), a: candlesOf([100]) }, { cash: 1_000 }));
    expect(out.intents).toMatchObject([
      { variantId: 'a', quantity: 6 },
      { variantId: 'b', quantity: 4 },
    ]);
  });
});

describe('exits', () => {
  const exitDoc = (exit: RulesDocument['exit']) =>
    rules({ when: { compare: '<', left: { value: 0 }, right: sma(1) } }, { exit });
  const at = (close: number, held: Holding, extra: Partial<StrategyInput> = {}) =>
    inputFor({ a: candlesOf([1000, close]) }, { holdings: { a: held }, ...extra });
  const sell = (quantity: number, reason: string): Intent => ({
    action: 'sell',
    variantId: 'a',
    type: 'market',
    quantity,
    reason,
  });

  it('sells everything at the stop-loss', async () => {
    const doc = exitDoc({ stopLossPct: 10 });
    expect((await decide(doc, at(900, holding(3, 1000)))).intents).toEqual([sell(3, 'stop-loss 10%')]);
    expect((await decide(doc, at(901, holding(3, 1000)))).intents).toEqual([]);
  });

  it('takes profit', async () => {
    const doc = exitDoc({ takeProfitPct: 20 });
    expect((await decide(doc, at(1200, holding(2, 1000)))).intents).toEqual([sell(2, 'take-profit 20%')]);
    expect((await decide(doc, at(1199, holding(2, 1000)))).intents).toEqual([]);
  });

  it('trails the peak', async () => {
    const doc = exitDoc({ trailingStopPct: 10 });
    expect((await decide(doc, at(1800, holding(1, 1000, 2000)))).intents).toEqual([sell(1, 'trailing stop 10%')]);
    expect((await decide(doc, at(1801, holding(1, 1000, 2000)))).intents).toEqual([]);
  });

  it('names the stop-loss first when several stops are hit', async () => {
    const doc = exitDoc({ stopLossPct: 10, trailingStopPct: 10 });
    expect((await decide(doc, at(800, holding(1, 1000, 1500)))).intents).toEqual([sell(1, 'stop-loss 10%')]);
  });

  it('sells when the exit condition holds', async () => {
    const doc = exitDoc({ when: { compare: '>', left: { indicator: 'rsi', period: 3 }, right: { value: 70 } } });
    const rising = inputFor({ a: candlesOf([100, 110, 120, 130, 140]) }, { holdings: { a: holding(4, 100) } });
    expect((await decide(doc, rising)).intents).toEqual([sell(4, 'exit: rsi(3) > 70')]);
    const falling = inputFor({ a: candlesOf([140, 130, 120, 110, 100]) }, { holdings: { a: holding(4, 100) } });
    expect((await decide(doc, falling)).intents).toEqual([]);
  });

  it('leaves out what waiting sell orders already cover', async () => {
    const doc = exitDoc({ stopLossPct: 10 });
    const partly = at(800, holding(5, 1000), { openOrders: [order('a', 'sell', 2, 0)] });
    expect((await decide(doc, partly)).intents).toEqual([sell(3, 'stop-loss 10%')]);
    const fully = at(800, holding(5, 1000), { openOrders: [order('a', 'sell', 5, 0)] });
    expect((await decide(doc, fully)).intents).toEqual([]);
  });

  it('exits a DCA position instead of adding to it', async () => {
    const doc = rules({}, { exit: { stopLossPct: 5 } });
    expect((await decide(doc, at(900, holding(2, 1000)))).intents).toEqual([sell(2, 'stop-loss 5%')]);
  });
});

// ---- properties

const period = (min: number, max: number) => fc.integer({ min, max });
const operandArb: fc.Arbitrary<IndicatorSpec> = fc.oneof(
  fc.constantFrom(...PRICE_SOURCES).map((source) => ({ indicator: 'price' as const, source })),
  period(1, 8).map((p) => ({ indicator: 'sma' as const, period: p })),
  period(1, 8).map((p) => ({ indicator: 'ema' as const, period: p, source: 'high' as const })),
  period(2, 8).map((p) => ({ indicator: 'rsi' as const, period: p })),
  fc
    .tuple(period(2, 4), period(1, 4), period(2, 4), fc.constantFrom('macd', 'signal', 'histogram'))
    .map(([fast, gap, signal, line]) => ({ indicator: 'macd' as const, fast, slow: fast + gap, signal, line })),
  fc
    .tuple(period(2, 8), fc.constantFrom('upper', 'middle', 'lower'))
    .map(([p, band]) => ({ indicator: 'bollinger' as const, period: p, stdDev: 2, band })),
  period(1, 8).map((p) => ({ indicator: 'atr' as const, period: p })),
  fc.integer({ min: 0, max: 2_000 }).map((value) => ({ value })),
);
const sides = fc
  .tuple(operandArb, operandArb)
  .filter(([left, right]) => !('value' in left && 'value' in right) && JSON.stringify(left) !== JSON.stringify(right));

const { condition: conditionArb } = fc.letrec<{ condition: Condition }>((tie) => ({
  condition: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    fc
      .tuple(fc.constantFrom('>', '<', '>=', '<='), sides)
      .map(([compare, [left, right]]) => ({ compare, left, right })),
    fc.tuple(fc.constantFrom('above', 'below'), sides).map(([cross, [left, right]]) => ({ cross, left, right })),
    fc.constant({ always: true as const }),
    fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
    tie('condition').map((not) => ({ not })),
  ),
}));

const docArb: fc.Arbitrary<RulesDocument> = fc.record(
  {
    version: fc.constant(1 as const),
    entry: fc.record(
      {
        when: conditionArb,
        size: fc.oneof(
          fc.integer({ min: 1, max: 5 }).map((quantity) => ({ kind: 'fixed' as const, quantity })),
          fc.integer({ min: 1, max: 100 }).map((percent) => ({ kind: 'percent' as const, percent })),
        ),
        order: fc.oneof(
          fc.constant({ type: 'market' as const }),
          fc.integer({ min: -1_000, max: 5_000 }).map((offsetBps) => ({ type: 'limit' as const, offsetBps })),
        ),
      },
      { requiredKeys: ['when', 'size'] },
    ),
    exit: fc.record(
      {
        when: conditionArb,
        stopLossPct: fc.integer({ min: 1, max: 50 }),
        takeProfitPct: fc.integer({ min: 1, max: 200 }),
        trailingStopPct: fc.integer({ min: 1, max: 50 }),
      },
      { requiredKeys: ['stopLossPct'] },
    ),
    cooldownCandles: fc.integer({ min: 0, max: 4 }),
    maxOpenPositions: fc.integer({ min: 1, max: 3 }),
  },
  { requiredKeys: ['version', 'entry'] },
);

/** Integer price walks of the same length for one to three cards. */
const seriesArb = (maxLength: number) =>
  fc.integer({ min: 1, max: maxLength }).chain((length) =>
    fc
      .array(fc.array(fc.integer({ min: -80, max: 80 }), { minLength: length, maxLength: length }), {
        minLength: 1,
        maxLength: 3,
      })
      .map((walks) => {
        const series: Record<string, Candle[]> = {};
        walks.forEach((steps, card) => {
          let close = 1_000;
          series[`card-${card}`] = candlesOf(steps.map((step) => (close = Math.max(1, close + step))));
        });
        return series;
      }),
  );

const inputArb = seriesArb(40).chain((candles) => {
  const ids = Object.keys(candles);
  const id = fc.constantFrom(...ids);
  const lastClose = (Object.values(candles)[0]?.length ?? 0) * HOUR;
  return fc.record({
    time: fc.constant(lastClose),
    interval: fc.constant('1h' as const),
    candles: fc.constant(candles),
    cash: fc.integer({ min: 0, max: 20_000 }),
    holdings: fc.dictionary(
      id,
      fc
        .tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 0, max: 500 }))
        .map(([quantity, entryPrice, up]) => holding(quantity, entryPrice, entryPrice + up)),
    ),
    openOrders: fc
      .array(
        fc
          .tuple(
            id,
            fc.constantFrom('buy' as const, 'sell' as const),
            fc.integer({ min: 1, max: 4 }),
            fc.integer({ min: lastClose - 2 * HOUR, max: lastClose }),
          )
          .map(([variantId, side, remaining, placedAt]) => order(variantId, side, remaining, placedAt)),
        { maxLength: 3 },
      )
      .map((orders) => orders.map((o, i) => ({ ...o, id: `order-${i}` }))),
    lastExitAt: fc.dictionary(id, fc.integer({ min: lastClose - 6 * HOUR, max: lastClose })),
    state: fc.constant({}),
  });
});

function closeOf(input: StrategyInput, variantId: string): number {
  return input.candles[variantId]?.at(-1)?.close ?? NaN;
}

/** Runs a strategy candle by candle, filling every order at once at its price (or the close). */
async function replay(strategy: Strategy, series: Record<string, Candle[]>, steps: number, peek?: () => unknown) {
  let state: Record<string, unknown> = {};
  let cash = 50_000;
  const holdings: Record<string, Holding> = {};
  const lastExitAt: Record<string, number> = {};
  const outputs: StrategyOutput[] = [];
  for (let step = 0; step < steps; step++) {
    const candles = Object.fromEntries(Object.entries(series).map(([id, all]) => [id, all.slice(0, step + 1)]));
    const time = (step + 1) * HOUR;
    for (const [id, held] of Object.entries(holdings))
      held.peakPrice = Math.max(held.peakPrice, candles[id]?.at(-1)?.close ?? 0);
    const input: StrategyInput = {
      time,
      interval: '1h',
      candles,
      cash,
      holdings: structuredClone(holdings),
      openOrders: [],
      lastExitAt: { ...lastExitAt },
      state,
    };
    await peek?.();
    const output = await strategy.decide(input);
    outputs.push(output);
    state = output.state ?? {};
    for (const intent of output.intents) {
      if (intent.action === 'cancel') continue;
      const price = intent.price ?? closeOf(input, intent.variantId);
      const held = holdings[intent.variantId] ?? holding(0, 0, 0);
      if (intent.action === 'buy') {
        cash -= price * intent.quantity;
        const quantity = held.quantity + intent.quantity;
        holdings[intent.variantId] = {
          quantity,
          entryPrice: (held.entryPrice * held.quantity + price * intent.quantity) / quantity,
          peakPrice: Math.max(held.peakPrice, price),
          openedAt: held.openedAt || time,
        };
      } else {
        cash += price * intent.quantity;
        held.quantity -= intent.quantity;
        if (held.quantity === 0) {
          delete holdings[intent.variantId];
          lastExitAt[intent.variantId] = time;
        }
      }
    }
  }
  return outputs;
}

describe('rules strategy properties', () => {
  const ajvCheck = new Ajv({ allErrors: true, strict: false }).compile(RulesDocument);

  it('generated documents are valid for both the validator and the JSON schema', () => {
    fc.assert(
      fc.property(docArb, (doc) => {
        expect(validateRules(doc)).toEqual({ ok: true, doc });
        expect(ajvCheck(doc)).toBe(true);
      }),
    );
  });

  it('never accepts what the JSON schema rejects, and points errors at the document', () => {
    fc.assert(
      fc.property(docArb, fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (doc, pick, replacement, remove) => {
        const mutated = mutate(doc, pick, replacement, remove);
        const result = validateRules(mutated);
        if (!ajvCheck(mutated)) expect(result.ok).toBe(false);
        if (result.ok) return;
        for (const error of result.errors) expect(parentExists(mutated, error.path)).toBe(true);
      }),
    );
  });

  it('never sells more than it holds, buys beyond its cash or cancels a fresh order', async () => {
    await fc.assert(
      fc.asyncProperty(docArb, inputArb, async (doc, input) => {
        const { intents } = await rulesStrategy(doc).decide(input);
        let spent = 0;
        const seen = new Set<string>();
        for (const intent of intents) {
          if (intent.action === 'cancel') {
            const cancelled = input.openOrders.find((o) => o.id === intent.orderId);
            expect(cancelled?.side).toBe('buy');
            expect(input.time - (cancelled?.placedAt ?? Infinity)).toBeGreaterThanOrEqual(HOUR);
            continue;
          }
          expect(seen.has(intent.variantId)).toBe(false);
          seen.add(intent.variantId);
          expect(Number.isInteger(intent.quantity) && intent.quantity > 0).toBe(true);
          if (intent.action === 'sell') {
            const waiting = input.openOrders.filter((o) => o.variantId === intent.variantId && o.side === 'sell');
            const held = input.holdings[intent.variantId]?.quantity ?? 0;
            expect(intent.quantity).toBeLessThanOrEqual(held - waiting.reduce((sum, o) => sum + o.remaining, 0));
          } else {
            if (intent.price !== undefined) expect(Number.isInteger(intent.price) && intent.price >= 1).toBe(true);
            spent += intent.quantity * (intent.price ?? closeOf(input, intent.variantId));
          }
        }
        expect(spent).toBeLessThanOrEqual(input.cash);
      }),
    );
  });

  it('never spends more than its cash when every card signals at once', async () => {
    const eager = fc
      .tuple(
        docArb,
        fc.oneof(
          fc.integer({ min: 1, max: 20 }).map((quantity) => ({ kind: 'fixed' as const, quantity })),
          fc.integer({ min: 1, max: 100 }).map((percent) => ({ kind: 'percent' as const, percent })),
        ),
      )
      .map(([doc, size]): RulesDocument => ({ ...doc, entry: { ...doc.entry, when: { always: true }, size } }));
    await fc.assert(
      fc.asyncProperty(eager, seriesArb(3), fc.integer({ min: 0, max: 30_000 }), async (doc, candles, cash) => {
        const input = inputFor(candles, { cash });
        const { intents } = await rulesStrategy(doc).decide(input);
        const spent = intents.reduce(
          (sum, intent) =>
            intent.action === 'buy' ? sum + intent.quantity * (intent.price ?? closeOf(input, intent.variantId)) : sum,
          0,
        );
        expect(spent).toBeLessThanOrEqual(cash);
      }),
    );
  });

  it('gives the same answer for the same input and leaves the input untouched', async () => {
    await fc.assert(
      fc.asyncProperty(docArb, inputArb, async (doc, input) => {
        const before = structuredClone(input);
        const strategy = rulesStrategy(doc);
        const first = await strategy.decide(input);
        expect(await strategy.decide(input)).toEqual(first);
        expect(await rulesStrategy(doc).decide(structuredClone(before))).toEqual(first);
        expect(input).toEqual(before);
      }),
    );
  });

  it('decides at each step as if later candles did not exist', async () => {
    await fc.assert(
      fc.asyncProperty(docArb, seriesArb(30), fc.nat(), async (doc, series, cut) => {
        const length = Object.values(series)[0]?.length ?? 0;
        const steps = (cut % length) + 1;
        const known = Object.fromEntries(Object.entries(series).map(([id, all]) => [id, all.slice(0, steps)]));
        const prefix = await replay(rulesStrategy(doc), known, steps);
        // The full-series run shares one strategy and shows it the whole future before every step.
        const strategy = rulesStrategy(doc);
        const everything = { ...inputFor(series), cash: 1e9 };
        const full = await replay(strategy, series, length, () => strategy.decide(everything));
        expect(full.slice(0, steps)).toEqual(prefix);
      }),
    );
  });
});

/** Replaces (or removes) the value at the `pick`-th place of the document. */
function mutate(doc: RulesDocument, pick: number, replacement: unknown, remove: boolean): unknown {
  const copy: unknown = structuredClone(doc);
  const places = pointers(copy);
  const place = places[pick % places.length] ?? [];
  if (place.length === 0) return replacement;
  const parent = place.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], copy);
  const key = place.at(-1) as string;
  if (remove && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key];
  else (parent as Record<string, unknown>)[key] = replacement;
  return copy;
}

function pointers(node: unknown, at: string[] = []): string[][] {
  if (typeof node !== 'object' || node === null) return [at];
  return [at, ...Object.entries(node).flatMap(([key, child]) => pointers(child, [...at, key]))];
}

/** Whether everything but the last step of a JSON pointer exists in the value. */
function parentExists(value: unknown, path: string): boolean {
  const keys = path
    .split('/')
    .slice(1, -1)
    .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));
  let node = value;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}
