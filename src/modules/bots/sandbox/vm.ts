/*
 * One strategy's QuickJS VM inside the sandbox worker: its own instance of the engine (see
 * engine.ts), one runtime and context in it, a stack limit and a time budget per call. Nothing of
 * the host is exposed: the input goes in as a JSON string, the result comes out as a JSON string
 * checked against a size cap, and the only callbacks the engine may make are the interrupt check of
 * the time budget and a module loader that refuses every import.
 */
import type { JSModuleLoadResult, QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core';
import type { CappedMemory, QuickJSEngine } from './engine.ts';
import {
  isOutOfMemory,
  isStackOverflow,
  mebibytes,
  parseErrorInfo,
  SandboxFailure,
  STRATEGY_FILENAME,
  thrownError,
  UNREADABLE,
  type ErrorInfo,
  type Phase,
} from './failures.ts';
import { PRELUDE_FILENAME, PRELUDE_SOURCE } from './prelude.ts';
import type { SandboxLimits } from './protocol.ts';

/**
 * QuickJS's own stack limit. Its frames also sit on the worker thread's V8 stack (4 MiB): with that
 * stack a 1 MiB limit still stopped cleanly and 2 MiB let V8 overflow first, which breaks the
 * WebAssembly instance mid-call. 256 KiB keeps a wide margin and still allows deep, ordinary recursion.
 */
const STACK_BYTES = 256 * 1024;
/** Time allowed to describe a thrown value (its getters are the strategy's code). */
const DESCRIBE_MS = 20;
/** Promise jobs run between two checks of the time budget. */
const JOB_BATCH = 100;

type HiddenFunction = 'run' | 'serialize' | 'describe' | 'decide';

/** Wall-clock budget of the current step, checked by QuickJS's interrupt handler. */
class Budget {
  private deadline = 0;
  interrupted = false;

  start(ms: number): void {
    this.deadline = performance.now() + ms;
    this.interrupted = false;
  }

  expired(): boolean {
    return performance.now() > this.deadline;
  }

  readonly shouldInterrupt = (): boolean => {
    if (!this.expired()) return false;
    this.interrupted = true;
    return true;
  };
}

/** A strategy's code loaded in its own QuickJS instance. */
export class StrategyVm {
  private readonly hidden = new Map<HiddenFunction, QuickJSHandle>();

  private constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
    private readonly memory: CappedMemory,
    private readonly budget: Budget,
    private readonly limits: SandboxLimits,
  ) {}

  /** Creates the VM and runs the strategy's top-level code; throws a SandboxFailure if it is unusable. */
  static async load(engine: QuickJSEngine, source: string, limits: SandboxLimits): Promise<StrategyVm> {
    const { quickjs, memory } = await engine.instantiate(limits.memoryBytes);
    const budget = new Budget();
    const runtime = quickjs.newRuntime();
    // Counts allocations rather than bytes in this build (see engine.ts), so it only refuses
    // single huge allocations early; the capped memory does the rest.
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(STACK_BYTES);
    runtime.setModuleLoader(refuseModule);
    runtime.setInterruptHandler(budget.shouldInterrupt);
    const vm = new StrategyVm(runtime, runtime.newContext(), memory, budget, limits);
    try {
      vm.install(source);
    } catch (error) {
      vm.dispose();
      throw error;
    }
    return vm;
  }

  /** Calls `decide` with the input (JSON text) and returns its result as JSON text. */
  call(inputJson: string): string {
    this.budget.start(this.limits.cpuMsPerCall);
    this.memory.refused = false;
    const input = this.context.newString(inputJson);
    const returned = this.context.callFunction(this.fn('run'), this.context.undefined, this.fn('decide'), input);
    input.dispose();
    if (returned.error) throw this.failure(returned.error, 'call');
    if (this.budget.interrupted) {
      // An async decide that ran out of time before its first await returns a rejected promise.
      returned.value.dispose();
      throw this.outOfTime('call');
    }
    const value = this.settle(returned.value);
    try {
      this.drainJobs('settle');
      return this.serialize(value);
    } finally {
      value.dispose();
    }
  }

  /**
   * Frees the VM. Its engine instance and memory are dropped with it, so a VM left in a bad state by
   * a failure (which QuickJS may refuse to free) costs nothing more than garbage.
   */
  dispose(): void {
    try {
      for (const handle of this.hidden.values()) handle.dispose();
      this.context.dispose();
      this.runtime.dispose();
    } catch {
      // The instance is unreachable after this; there is nothing left to free it from.
    }
    this.hidden.clear();
  }

  private install(source: string): void {
    this.budget.start(this.limits.cpuMsToLoad);
    this.memory.refused = false;
    const prelude = this.evaluate(PRELUDE_SOURCE, PRELUDE_FILENAME);
    try {
      for (const name of ['run', 'serialize', 'describe'] as const) {
        this.hidden.set(name, this.context.getProp(prelude, name));
      }
    } finally {
      prelude.dispose();
    }
    this.evaluate(source, STRATEGY_FILENAME).dispose();
    this.drainJobs('load');
    const decide = this.context.getProp(this.context.global, 'decide');
    this.hidden.set('decide', decide);
    const type = this.context.typeof(decide);
    if (type !== 'function') {
      throw new SandboxFailure('compile', `The code must define a function named decide(input); decide is ${type}`);
    }
  }

  private evaluate(code: string, filename: string): QuickJSHandle {
    const result = this.context.evalCode(code, filename, { type: 'global' });
    if (result.error) throw this.failure(result.error, 'load');
    return result.value;
  }

  private fn(name: HiddenFunction): QuickJSHandle {
    const handle = this.hidden.get(name);
    if (!handle) throw new Error(`The sandbox VM has no ${name} function`);
    return handle;
  }

  /** Waits (by running promise jobs) for the value decide returned; takes ownership of `returned`. */
  private settle(returned: QuickJSHandle): QuickJSHandle {
    for (;;) {
      const state = this.context.getPromiseState(returned);
      if (state.type === 'fulfilled') {
        if (!state.notAPromise) returned.dispose();
        return state.value;
      }
      if (state.type === 'rejected') {
        returned.dispose();
        throw this.failure(state.error, 'settle');
      }
      try {
        if (!this.runtime.hasPendingJob()) {
          throw new SandboxFailure(
            'async_hang',
            'decide returned a promise that never settles: nothing it waits for can happen in the sandbox',
          );
        }
        this.runJobBatch('settle');
      } catch (error) {
        returned.dispose();
        throw error;
      }
    }
  }

  private drainJobs(phase: 'load' | 'settle'): void {
    while (this.runtime.hasPendingJob()) this.runJobBatch(phase);
  }

  private runJobBatch(phase: 'load' | 'settle'): void {
    if (this.budget.expired()) throw this.outOfTime(phase);
    const result = this.runtime.executePendingJobs(JOB_BATCH);
    if (result.error) throw this.failure(result.error, phase);
    // An interrupted promise job only rejects its own promise; the budget is spent all the same.
    if (this.budget.interrupted) throw this.outOfTime(phase);
  }

  private serialize(value: QuickJSHandle): string {
    const result = this.context.callFunction(this.fn('serialize'), this.context.undefined, value);
    if (result.error) throw this.failure(result.error, 'serialize');
    return result.value.consume((json) => this.readResult(json));
  }

  /** Copies the JSON text out of the VM, refusing it before the copy when it is over the cap. */
  private readResult(json: QuickJSHandle): string {
    if (this.context.typeof(json) !== 'string') {
      throw new SandboxFailure(
        'invalid_result',
        'decide must return an object such as { intents: [] }; it returned undefined or a function',
      );
    }
    const length = this.context.getProp(json, 'length').consume((handle) => this.context.getNumber(handle));
    if (length > this.limits.maxResultBytes) throw this.tooLarge(`${length} characters`);
    const text = this.context.getString(json);
    const bytes = Buffer.byteLength(text);
    if (bytes > this.limits.maxResultBytes) throw this.tooLarge(`${bytes} bytes`);
    return text;
  }

  private tooLarge(size: string): SandboxFailure {
    return new SandboxFailure(
      'result_too_large',
      `The result of decide is ${size} of JSON, over the limit of ${this.limits.maxResultBytes} bytes`,
    );
  }

  /** Turns a thrown QuickJS value into a SandboxFailure of the right kind; disposes `error`. */
  private failure(error: QuickJSHandle, phase: Phase): SandboxFailure {
    try {
      if (this.budget.interrupted) return this.outOfTime(phase);
      const info = this.describe(error);
      // A full memory can leave too little room even to read the error.
      if (isOutOfMemory(info) || (info === UNREADABLE && this.memory.refused)) {
        return new SandboxFailure(
          'memory',
          `The strategy used more than ${mebibytes(this.limits.memoryBytes)} of memory`,
        );
      }
      if (isStackOverflow(info)) {
        return new SandboxFailure('stack', 'The call stack grew too deep (endless recursion?)');
      }
      return thrownError(info, phase);
    } finally {
      error.dispose();
    }
  }

  private outOfTime(phase: Phase): SandboxFailure {
    if (phase === 'load') {
      return new SandboxFailure('timeout', `Loading the code took longer than ${this.limits.cpuMsToLoad} ms`);
    }
    if (phase === 'call' || phase === 'serialize') {
      return new SandboxFailure('timeout', `decide ran longer than ${this.limits.cpuMsPerCall} ms`);
    }
    return new SandboxFailure(
      'async_hang',
      `The promise work of decide did not finish within ${this.limits.cpuMsPerCall} ms ` +
        '(an endless await or then chain, or long work after an await)',
    );
  }

  /** Reads a thrown value inside the VM, with a short time budget of its own. */
  private describe(error: QuickJSHandle): ErrorInfo {
    const describe = this.hidden.get('describe');
    if (!describe) return UNREADABLE;
    this.budget.start(DESCRIBE_MS);
    const result = this.context.callFunction(describe, this.context.undefined, error);
    if (result.error) {
      result.error.dispose();
      return UNREADABLE;
    }
    return parseErrorInfo(result.value.consume((json) => this.context.getString(json)));
  }
}

function refuseModule(name: string): JSModuleLoadResult {
  return { error: new Error(`Cannot import "${name.slice(0, 100)}": strategies cannot load modules`) };
}
