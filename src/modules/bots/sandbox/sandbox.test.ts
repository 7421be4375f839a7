import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codeStrategy } from '../code-strategy.ts';
import type { Candle, StrategyInput, StrategyOutput } from '../strategy.ts';
import { createSandbox, StrategyCodeError, type SandboxPool, type StrategyErrorKind } from './sandbox.ts';

const T0 = Date.UTC(2025, 2, 14, 15, 30); // a Friday afternoon, 15:30 UTC

function inputAt(time: number, extra: Partial<StrategyInput> = {}): StrategyInput {
  return {
    time,
    interval: '1h',
    candles: {},
    cash: 10_000,
    holdings: {},
    openOrders: [],
    lastExitAt: {},
    state: {},
    ...extra,
  };
}

/** A strategy that always answers the same, to show a sandbox still works after a failure. */
const GOOD = `function decide(input) {
  return { intents: [{ action: 'buy', variantId: 'v1', type: 'market', quantity: 1 }], notes: ['at ' + input.time] };
}`;

async function expectHealthy(sandbox: SandboxPool): Promise<void> {
  const good = await sandbox.compile(GOOD);
  expect(await good.call(inputAt(7))).toEqual({
    intents: [{ action: 'buy', variantId: 'v1', type: 'market', quantity: 1 }],
    notes: ['at 7'],
  });
  await good.close();
}

async function failureOf(run: () => Promise<unknown>): Promise<StrategyCodeError> {
  const outcome = await run().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(StrategyCodeError);
  return outcome.error as StrategyCodeError;
}

/** Compiles and calls `source` once; returns the error of kind `kind` (the call must fail). */
async function expectCallFailure(
  sandbox: SandboxPool,
  source: string,
  kind: StrategyErrorKind,
  message?: RegExp,
): Promise<StrategyCodeError> {
  const compiled = await sandbox.compile(source);
  const error = await failureOf(() => compiled.call(inputAt(T0)));
  await compiled.close();
  expect({ kind: error.kind, message: error.message }).toMatchObject({ kind });
  if (message) expect(error.message).toMatch(message);
  return error;
}

describe('sandbox escapes: each fails with its kind and the worker keeps serving', () => {
  let sandbox: SandboxPool;

  beforeAll(async () => {
    sandbox = createSandbox({ cpuMsPerCall: 250, memoryBytes: 16 * 1024 * 1024 });
    await expectHealthy(sandbox);
  });
  afterEach(async () => {
    await expectHealthy(sandbox);
    expect(sandbox.workerRestarts).toBe(0);
  });
  afterAll(() => sandbox.close());

  it('finds no host objects by walking constructors and prototypes', async () => {
    const probe = await sandbox.compile(`function decide() {
      const g = Function('return this')();
      const found = {
        thisConstructor: this.constructor.constructor('return typeof process')(),
        objectConstructor: ({}).constructor.constructor('return typeof require')(),
        generatorFunction: (function* () {}).constructor('yield typeof process')().next().value,
        globalProcess: typeof g.process,
        globalRequire: typeof g.require,
        globalThisProcess: typeof globalThis.process,
        hostGlobals: Object.getOwnPropertyNames(g).filter((name) =>
          ['process', 'require', 'module', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask',
           'fetch', 'console', 'std', 'os', 'WebAssembly', 'performance'].includes(name)),
      };
      return { intents: [], notes: [JSON.stringify(found)] };
    }`);
    const output = await probe.call(inputAt(T0));
    await probe.close();
    expect(JSON.parse(output.notes?.[0] ?? 'null')).toEqual({
      thisConstructor: 'undefined',
      objectConstructor: 'undefined',
      generatorFunction: 'undefined',
      globalProcess: 'undefined',
      globalRequire: 'undefined',
      globalThisProcess: 'undefined',
      hostGlobals: [],
    });
  });

  it('throws when code reaches for process through the Function constructor', async () => {
    await expectCallFailure(
      sandbox,
      `function decide() { return this.constructor.constructor('return process')().exit(1); }`,
      'throw',
      /ReferenceError: 'process' is not defined/,
    );
  });

  it('has no require', async () => {
    await expectCallFailure(sandbox, `function decide() { require('fs'); }`, 'throw', /'require' is not defined/);
  });

  it('has no process', async () => {
    await expectCallFailure(sandbox, `function decide() { process.exit(1); }`, 'throw', /'process' is not defined/);
  });

  it('refuses dynamic import', async () => {
    const error = await expectCallFailure(
      sandbox,
      `async function decide() { const fs = await import('node:fs'); return { intents: [], notes: [typeof fs] }; }`,
      'throw',
    );
    expect(error.message).toContain('Cannot import "node:fs": strategies cannot load modules');
  });

  it('refuses static import at compile time', async () => {
    const error = await failureOf(() =>
      sandbox.compile(`import fs from 'fs';\nfunction decide() { return { intents: [] }; }`),
    );
    expect(error.kind).toBe('compile');
    expect(error.message).toMatch(/^SyntaxError at line 1/);
  });

  it('stops an infinite loop', async () => {
    await expectCallFailure(sandbox, `function decide() { for (;;) {} }`, 'timeout', /decide ran longer than 250 ms/);
  });

  it('stops an infinite loop that catches every error', async () => {
    await expectCallFailure(sandbox, `function decide() { for (;;) { try { for (;;) {} } catch (e) {} } }`, 'timeout');
  });

  it('stops an infinite loop in an async decide before its first await', async () => {
    await expectCallFailure(sandbox, `async function decide() { for (;;) {} }`, 'timeout');
  });

  it('stops a memory bomb of a growing array', async () => {
    await expectCallFailure(
      sandbox,
      `function decide() { const a = []; for (;;) a.push(1, 2, 3, 4, 5, 6, 7, 8); }`,
      'memory',
      /more than 16 MiB/,
    );
  });

  it('stops a memory bomb of a doubling string', async () => {
    await expectCallFailure(sandbox, `function decide() { let s = 'bomb'; for (;;) s = s.repeat(2); }`, 'memory');
  });

  it('stops a memory bomb kept in a global', async () => {
    await expectCallFailure(
      sandbox,
      `var kept = []; function decide() { for (;;) kept.push(new Array(4096).fill(kept.length)); }`,
      'memory',
    );
  });

  it('stops deep recursion', async () => {
    await expectCallFailure(
      sandbox,
      `function decide(input) { return (function down(n) { return down(n + 1) + 1; })(0); }`,
      'stack',
      /too deep/,
    );
  });

  it('refuses a huge result', async () => {
    await expectCallFailure(
      sandbox,
      `function decide() { return { intents: [], notes: ['x'.repeat(300000)] }; }`,
      'result_too_large',
      /over the limit of 262144 bytes/,
    );
  });

  it('reports a promise that never settles', async () => {
    await expectCallFailure(
      sandbox,
      `function decide() { return new Promise(() => {}); }`,
      'async_hang',
      /never settles/,
    );
  });

  it('stops an endless then chain', async () => {
    await expectCallFailure(
      sandbox,
      `function decide() { return new Promise(() => { (function again() { Promise.resolve().then(again); })(); }); }`,
      'async_hang',
      /did not finish within 250 ms/,
    );
  });

  it('stops an endless await loop', async () => {
    await expectCallFailure(sandbox, `async function decide() { for (;;) await null; }`, 'async_hang');
  });

  it('stops promise work left running after decide returned', async () => {
    await expectCallFailure(
      sandbox,
      `function decide() { (function again() { Promise.resolve().then(again); })(); return { intents: [] }; }`,
      'async_hang',
    );
  });

  it('reports a thrown error with its message and line', async () => {
    await expectCallFailure(
      sandbox,
      `function decide(input) {\n  if (input.cash > 0) {\n    throw new RangeError('cash is not allowed: ' + input.cash);\n  }\n}`,
      'throw',
      /^decide threw RangeError: cash is not allowed: 10000 \(line 3, column \d+\)$/,
    );
  });

  it('reports a rejected promise like a throw', async () => {
    await expectCallFailure(
      sandbox,
      `async function decide() { await null; throw 'plain text'; }`,
      'throw',
      /plain text/,
    );
  });
});

describe('compiling', () => {
  let sandbox: SandboxPool;

  beforeAll(() => {
    sandbox = createSandbox({ cpuMsToLoad: 250 });
  });
  afterEach(() => expectHealthy(sandbox));
  afterAll(() => sandbox.close());

  it('names the line of a syntax error', async () => {
    const error = await failureOf(() => sandbox.compile(`function decide(input) {\n  return { intents: [ };\n}`));
    expect(error.kind).toBe('compile');
    expect(error.message).toMatch(/^SyntaxError at line 2, column \d+: /);
  });

  it('requires a decide function', async () => {
    const error = await failureOf(() => sandbox.compile(`var decide = 42;`));
    expect(error).toMatchObject({ kind: 'compile', message: expect.stringMatching(/function named decide.*number/) });
  });

  it('reports code that throws while loading', async () => {
    const error = await failureOf(() => sandbox.compile(`\nnull.boom;\nfunction decide() {}`));
    expect(error.kind).toBe('compile');
    expect(error.message).toMatch(/^The code threw while loading: TypeError: .*\(line 2, column \d+\)$/);
  });

  it('stops top-level code that never ends', async () => {
    const error = await failureOf(() => sandbox.compile(`while (true) {}\nfunction decide() {}`));
    expect(error).toMatchObject({ kind: 'timeout', message: 'Loading the code took longer than 250 ms' });
  });

  it('refuses code over the size limit', async () => {
    const error = await failureOf(() => sandbox.compile(`// ${'x'.repeat(300_000)}\nfunction decide() {}`));
    expect(error.kind).toBe('compile');
  });
});

describe('result checks on the host', () => {
  let sandbox: SandboxPool;

  beforeAll(() => {
    sandbox = createSandbox();
  });
  afterEach(() => expectHealthy(sandbox));
  afterAll(() => sandbox.close());

  const order = `{ action: 'buy', variantId: 'v1', type: 'limit', quantity: 2, price: 150 }`;
  it.each([
    ['nothing', `undefined`, /returned undefined or a function/],
    ['no intents', `{ notes: [] }`, /must have an intents array, got nothing/],
    ['NaN quantity', `{ intents: [{ ...${order}, quantity: NaN }] }`, /intents\[0\]\.quantity .*got null \(NaN/],
    [
      'fractional quantity',
      `{ intents: [${order}, { ...${order}, quantity: 1.5 }] }`,
      /intents\[1\]\.quantity .*got 1\.5/,
    ],
    [
      'infinite price',
      `{ intents: [{ ...${order}, price: Infinity }] }`,
      /intents\[0\]\.price must be a positive whole/,
    ],
    ['limit without price', `{ intents: [{ ...${order}, price: undefined }] }`, /intents\[0\]\.price .*got nothing/],
    [
      'unknown action',
      `{ intents: [{ action: 'hold' }] }`,
      /intents\[0\]\.action must be "buy", "sell" or "cancel", got "hold"/,
    ],
    ['unknown field', `{ intents: [{ ...${order}, leverage: 10 }] }`, /unknown field "leverage"/],
    ['cancel without id', `{ intents: [{ action: 'cancel' }] }`, /intents\[0\]\.orderId must be a non-empty string/],
    ['too many intents', `{ intents: Array.from({ length: 101 }, () => (${order})) }`, /101 intents; at most 100/],
    ['notes of numbers', `{ intents: [], notes: [1] }`, /notes must be an array of strings/],
    ['state as array', `{ intents: [], state: [] }`, /state must be an object/],
    [
      'a cycle',
      `(() => { const out = { intents: [] }; out.self = out; return out; })()`,
      /cannot be turned into JSON: TypeError/,
    ],
  ])('refuses %s', async (_name, result, message) => {
    await expectCallFailure(sandbox, `function decide() { return ${result}; }`, 'invalid_result', message);
  });

  it('keeps a valid result, dropping empty optional fields', async () => {
    const compiled = await sandbox.compile(`function decide() {
      return {
        intents: [
          { action: 'sell', variantId: 'v2', type: 'market', quantity: 3, price: null, reason: 'stop-loss' },
          { action: 'cancel', orderId: 'o-1' },
        ],
        state: { step: 2 },
        notes: null,
      };
    }`);
    expect(await compiled.call(inputAt(T0))).toEqual({
      intents: [
        { action: 'sell', variantId: 'v2', type: 'market', quantity: 3, reason: 'stop-loss' },
        { action: 'cancel', orderId: 'o-1' },
      ],
      state: { step: 2 },
    });
    await compiled.close();
  });
});

describe('a strategy after a failed call', () => {
  it('runs again on its next call with a fresh VM', async () => {
    const sandbox = createSandbox({ memoryBytes: 16 * 1024 * 1024, cpuMsPerCall: 1000 });
    const compiled = await sandbox.compile(`var calls = 0, kept = '';
      function decide(input) {
        calls += 1;
        if (input.cash === 1) { kept = 'bomb'; for (;;) kept = kept.repeat(2); }
        return { intents: [], notes: ['call ' + calls] };
      }`);
    expect((await compiled.call(inputAt(T0))).notes).toEqual(['call 1']);
    expect((await compiled.call(inputAt(T0))).notes).toEqual(['call 2']);
    expect((await failureOf(() => compiled.call(inputAt(T0, { cash: 1 })))).kind).toBe('memory');
    expect((await compiled.call(inputAt(T0))).notes).toEqual(['call 1']);
    expect(sandbox.workerRestarts).toBe(0);
    await compiled.close();
    await expect(compiled.call(inputAt(T0))).rejects.toThrow(/disposed/);
    await sandbox.close();
  });
});

describe('the worker thread', () => {
  it('reports crashed for the call in flight when the worker dies, then serves on a new worker', async () => {
    const sandbox = createSandbox({ cpuMsPerCall: 20_000 });
    const good = await sandbox.compile(GOOD);
    const looping = await sandbox.compile(`function decide() { for (;;) {} }`);
    const inFlight = failureOf(() => looping.call(inputAt(T0)));
    await delay(100);
    await sandbox.terminateWorker();
    expect((await inFlight).kind).toBe('crashed');
    expect((await good.call(inputAt(7))).notes).toEqual(['at 7']);
    expect(sandbox.workerRestarts).toBe(1);
    await sandbox.close();
  });

  it('restarts a worker that does not answer within the hard timeout', async () => {
    const sandbox = createSandbox({ cpuMsPerCall: 20_000, hardTimeoutMs: 500 });
    const good = await sandbox.compile(GOOD);
    const looping = await sandbox.compile(`function decide() { for (;;) {} }`);
    const error = await failureOf(() => looping.call(inputAt(T0)));
    expect(error).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/did not answer within 500 ms/) });
    expect((await good.call(inputAt(7))).notes).toEqual(['at 7']);
    expect(sandbox.workerRestarts).toBe(1);
    await sandbox.close();
  });

  it('rejects calls after close', async () => {
    const sandbox = createSandbox();
    const good = await sandbox.compile(GOOD);
    await sandbox.close();
    await expect(good.call(inputAt(T0))).rejects.toThrow(/closed/);
    await expect(sandbox.compile(GOOD)).rejects.toThrow(/closed/);
  });
});

describe('determinism', () => {
  const CLOCK = `function decide(input) {
    return {
      intents: [],
      notes: [
        String(Math.random()), String(Math.random()), String(Date.now()), String(new Date().getTime()),
        Date(), new Date(input.time).toString(), String(new Date(input.time).getHours()),
        String(new Date(2025, 0, 1).getTime()),
      ],
    };
  }`;
  let timezone: string | undefined;

  // The host's zone must not leak into the VM: run the workers under a zone far from UTC.
  beforeEach(() => {
    timezone = process.env.TZ;
    process.env.TZ = 'America/New_York';
  });
  afterEach(() => {
    if (timezone === undefined) delete process.env.TZ;
    else process.env.TZ = timezone;
  });

  it('gives the same output for the same input, across calls and sandboxes', async () => {
    const first = createSandbox();
    const second = createSandbox();
    const [a, b] = await Promise.all([first.compile(CLOCK), second.compile(CLOCK)]);
    const once = await a.call(inputAt(T0));
    expect(await a.call(inputAt(T0))).toEqual(once);
    expect(await b.call(inputAt(T0))).toEqual(once);
    const notes = once.notes ?? [];
    expect(notes[0]).not.toBe(notes[1]);
    expect(Number(notes[0])).toBeGreaterThanOrEqual(0);
    expect(Number(notes[0])).toBeLessThan(1);
    expect(notes.slice(2)).toEqual([
      String(T0),
      String(T0),
      'Fri Mar 14 2025 15:30:00 GMT+0000',
      'Fri Mar 14 2025 15:30:00 GMT+0000',
      '15',
      String(Date.UTC(2025, 0, 1)),
    ]);
    const later = await b.call(inputAt(T0 + 3_600_000));
    expect(later.notes?.[0]).not.toBe(notes[0]);
    expect(later.notes?.[2]).toBe(String(T0 + 3_600_000));
    await Promise.all([first.close(), second.close()]);
  });
});

function candles(closes: number[]): Candle[] {
  return closes.map((close, i) => ({
    start: T0 - (closes.length - i) * 3_600_000,
    open: close,
    high: close,
    low: close,
    close,
    volume: 1,
  }));
}

const SMA_CROSS = `
function sma(values, n) {
  const window = values.slice(-n);
  return window.reduce((sum, v) => sum + v, 0) / window.length;
}

function decide(input) {
  const intents = [];
  for (const [variantId, candles] of Object.entries(input.candles)) {
    if (candles.length < 6) continue;
    const closes = candles.map((c) => c.close);
    const before = closes.slice(0, -1);
    const wasBelow = sma(before, 3) <= sma(before, 5);
    const wasAbove = sma(before, 3) >= sma(before, 5);
    const fast = sma(closes, 3);
    const slow = sma(closes, 5);
    const held = input.holdings[variantId];
    if (!held && wasBelow && fast > slow) {
      intents.push({ action: 'buy', variantId, type: 'limit', quantity: 1, price: closes[closes.length - 1], reason: 'sma cross up' });
    } else if (held && wasAbove && fast < slow) {
      intents.push({ action: 'sell', variantId, type: 'market', quantity: held.quantity, reason: 'sma cross down' });
    }
  }
  return { intents, state: { calls: (input.state.calls || 0) + 1 } };
}`;

describe('a code strategy', () => {
  const input = inputAt(T0, {
    candles: {
      rising: candles([100, 99, 98, 97, 96, 110]),
      falling: candles([100, 101, 102, 103, 104, 90]),
      flat: candles([100, 100, 100, 100, 100, 100]),
      short: candles([1, 2, 3]),
    },
    holdings: { falling: { quantity: 3, entryPrice: 95, peakPrice: 104, openedAt: T0 - 10 * 3_600_000 } },
  });

  it('trades an SMA crossover over the input candles', async () => {
    const strategy = await codeStrategy(SMA_CROSS);
    const output: StrategyOutput = await strategy.decide(input);
    expect(output).toEqual({
      intents: [
        { action: 'buy', variantId: 'rising', type: 'limit', quantity: 1, price: 110, reason: 'sma cross up' },
        { action: 'sell', variantId: 'falling', type: 'market', quantity: 3, reason: 'sma cross down' },
      ],
      state: { calls: 1 },
    });
    expect((await strategy.decide({ ...input, state: { calls: 1 } })).state).toEqual({ calls: 2 });
    await strategy.close?.();
  });

  it('rejects code that does not compile', async () => {
    const error = await failureOf(() => codeStrategy('function decide( {'));
    expect(error.kind).toBe('compile');
  });

  it('in a shared sandbox, frees only its own VM on close', async () => {
    const sandbox = createSandbox();
    const strategy = await codeStrategy(SMA_CROSS, { sandbox });
    expect((await strategy.decide(input)).intents).toHaveLength(2);
    await strategy.close?.();
    await expect(strategy.decide(input)).rejects.toThrow(/disposed/);
    await expectHealthy(sandbox);
    await sandbox.close();
  });
});
