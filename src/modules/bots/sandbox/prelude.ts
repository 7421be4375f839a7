/*
 * Code run in every strategy VM before the user's code. It makes the VM deterministic and returns the
 * hidden functions the worker calls; none of them is reachable from the strategy's globals.
 *
 * - `Date.now()`, `new Date()` and `Date()` answer the input's `time`, so a backtest replays
 *   byte for byte.
 * - `Math.random` is a mulberry32 generator seeded from `time` at the start of every call.
 * - `run(decide, inputJson)` parses the input inside the VM and calls `decide` with it.
 * - `serialize(value)` turns the result into JSON inside the VM, so the host copies out one string.
 * - `describe(error)` turns any thrown value into `{ name, message, stack }` JSON, shortened.
 *
 * The built-ins it relies on are captured before the user's code runs, so a strategy that replaces
 * `JSON` or `Reflect` only changes what it sees itself.
 */
export const PRELUDE_FILENAME = 'sandbox-prelude.js';

export const PRELUDE_SOURCE = String.raw`(() => {
  'use strict';
  const RealDate = Date;
  const RealError = Error;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const imul = Math.imul;
  const construct = Reflect.construct;
  const defineProperty = Object.defineProperty;
  const TEXT_LIMIT = 2000;
  let now = 0;
  let seed = 0;

  function random() {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  function SandboxDate(...args) {
    if (new.target === undefined) return new RealDate(now).toString();
    return construct(RealDate, args.length === 0 ? [now] : args, new.target);
  }
  SandboxDate.prototype = RealDate.prototype;
  defineProperty(SandboxDate, 'name', { value: 'Date' });
  defineProperty(SandboxDate, 'length', { value: 7 });
  for (const key of ['parse', 'UTC']) {
    defineProperty(SandboxDate, key, { value: RealDate[key], writable: true, configurable: true });
  }
  const statics = { now() { return now; } };
  defineProperty(SandboxDate, 'now', { value: statics.now, writable: true, configurable: true });
  defineProperty(RealDate.prototype, 'constructor', { value: SandboxDate, writable: true, configurable: true });
  defineProperty(globalThis, 'Date', { value: SandboxDate, writable: true, configurable: true });
  defineProperty(Math, 'random', { value: random, writable: true, configurable: true });

  function begin(time) {
    now = time;
    seed = ((time % 4294967296) ^ ((time / 4294967296) | 0)) | 0;
  }

  function run(decide, inputJson) {
    const input = parse(inputJson);
    begin(typeof input.time === 'number' ? input.time : 0);
    return decide(input);
  }

  function serialize(value) {
    return stringify(value);
  }

  function text(read) {
    try {
      const value = String(read());
      return value.length > TEXT_LIMIT ? value.slice(0, TEXT_LIMIT) + '…' : value;
    } catch {
      return '(a value that cannot be shown)';
    }
  }

  function describe(error) {
    const isError = error instanceof RealError;
    return stringify({
      name: isError ? text(() => error.name) : '',
      message: isError ? text(() => error.message) : text(() => error),
      stack: isError ? text(() => error.stack) : '',
    });
  }

  return { run, serialize, describe };
})()`;
