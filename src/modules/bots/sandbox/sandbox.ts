/*
 * The host side of the strategy sandbox. A Sandbox owns one worker thread running QuickJS; every
 * compiled strategy gets its own VM there with a memory limit, a stack limit and a time budget
 * per call. Requests go to the worker one at a time. If the worker dies the in-flight call fails with
 * `crashed`, and if it does not answer in time (hard timeout) it is stopped and the call fails with
 * `timeout`; either way the next request starts a fresh worker and reloads the strategies it needs.
 * Every result is checked here, on the host, before it reaches a bot.
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '../../../platform/http/errors.ts';
import type { StrategyInput, StrategyOutput } from '../strategy.ts';
import { checkOutput } from './output.ts';
import {
  MIN_VM_MEMORY_BYTES,
  type SandboxLimits,
  type StrategyErrorKind,
  type WorkerReady,
  type WorkerReply,
  type WorkerRequest,
} from './protocol.ts';

export type { StrategyErrorKind } from './protocol.ts';

/**
 * A strategy's code failed: `kind` says how (see StrategyErrorKind), the message says where in
 * words meant for the strategy's author. `crashed` is the sandbox's own failure.
 */
export class StrategyCodeError extends AppError {
  constructor(
    readonly kind: StrategyErrorKind,
    message: string,
  ) {
    super('strategy_code_error', kind === 'crashed' ? 503 : 422, message, { kind });
    this.name = 'StrategyCodeError';
  }
}

export interface SandboxOptions {
  /** Memory each strategy's VM may hold, engine included (bytes); default 32 MiB, at least 16 MiB. */
  memoryBytes?: number;
  /** Time one decide call may run, promise work included (ms); default 50. */
  cpuMsPerCall?: number;
  /** Time the code's top-level statements may run when it is loaded (ms); default 500. */
  cpuMsToLoad?: number;
  /** Largest JSON result of one call (bytes); default 256 KiB. */
  maxResultBytes?: number;
  /** How long the host waits for any answer before it restarts the worker; default budget × 20 + 1 s. */
  hardTimeoutMs?: number;
}

/** A strategy's code loaded in a sandbox. */
export interface CompiledStrategy {
  /** Runs decide on a copy of the input; rejects with a StrategyCodeError. */
  call(input: StrategyInput): Promise<StrategyOutput>;
  /** Frees the strategy's VM; later calls reject. */
  close(): Promise<void>;
}

/** Where strategy code is compiled; createSandbox makes one backed by a worker thread. */
export interface Sandbox {
  compile(source: string): Promise<CompiledStrategy>;
  /** Stops the sandbox; calls in flight fail with `crashed`, later ones reject. */
  close(): Promise<void>;
}

const DEFAULT_MEMORY_BYTES = 32 * 1024 * 1024;
const DEFAULT_CPU_MS_PER_CALL = 50;
const DEFAULT_CPU_MS_TO_LOAD = 500;
const DEFAULT_MAX_RESULT_BYTES = 256 * 1024;
/** Longest strategy source accepted (characters). */
export const MAX_SOURCE_LENGTH = 256 * 1024;
/** Time a new worker has to load the engine. */
const STARTUP_MS = 30_000;
/** The VM's stack limit is sized against this V8 stack (see vm.ts). */
const WORKER_RESOURCE_LIMITS = { stackSizeMb: 4, maxOldGenerationSizeMb: 256 };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type WorkerSuccess = Extract<WorkerReply, { ok: true }>;

interface Pending {
  resolve: (reply: WorkerSuccess) => void;
  reject: (error: StrategyCodeError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Worker threads start without the TypeScript loader the host runs under, so the worker's entry
 * registers tsx and then imports worker.ts.
 */
function bootstrapSource(): string {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${worker}); });`;
}

/** One worker thread, from start to exit; requests still open when it exits fail with `crashed`. */
class WorkerSession {
  alive = true;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly ready: Promise<void>;
  private markReady = (): void => undefined;
  private failStartup = (_error: StrategyCodeError): void => undefined;
  private exitReason = 'The sandbox worker stopped during the call; it restarts for the next one';
  private nextId = 1;

  constructor() {
    this.worker = new Worker(bootstrapSource(), { eval: true, execArgv: [], resourceLimits: WORKER_RESOURCE_LIMITS });
    this.worker.unref();
    this.ready = this.waitForReady();
    this.worker.on('message', (message: WorkerReply | WorkerReady) => this.receive(message));
    this.worker.on('error', (error) => {
      this.exitReason = `The sandbox worker failed: ${error.message}`;
    });
    this.worker.on('exit', () => this.onExit());
  }

  async request(body: WithoutId<WorkerRequest>, hardTimeoutMs: number): Promise<WorkerSuccess> {
    await this.ready;
    if (!this.alive) throw new StrategyCodeError('crashed', this.exitReason);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.hang(id, hardTimeoutMs), hardTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ ...body, id });
    });
  }

  async terminate(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }

  private waitForReady(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failStartup(new StrategyCodeError('crashed', `The sandbox worker did not start within ${STARTUP_MS} ms`));
        void this.terminate();
      }, STARTUP_MS);
      this.markReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.failStartup = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
    // Requests await it; this keeps a failed start that no request awaited from being unhandled.
    ready.catch(() => undefined);
    return ready;
  }

  private receive(message: WorkerReply | WorkerReady): void {
    if ('ready' in message) return this.markReady();
    const pending = this.take(message.id);
    if (!pending) return;
    if (message.ok) pending.resolve(message);
    else pending.reject(new StrategyCodeError(message.kind, message.message));
  }

  private take(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    return pending;
  }

  private hang(id: number, hardTimeoutMs: number): void {
    const message = `The sandbox did not answer within ${hardTimeoutMs} ms; its worker was restarted`;
    this.take(id)?.reject(new StrategyCodeError('timeout', message));
    void this.terminate();
  }

  private onExit(): void {
    this.alive = false;
    const error = new StrategyCodeError('crashed', this.exitReason);
    this.failStartup(error);
    for (const id of [...this.pending.keys()]) this.take(id)?.reject(error);
  }
}

interface LoadedSource {
  source: string;
  /** The worker that holds its VM; another worker must load it again first. */
  session: WorkerSession | null;
}

/** A Sandbox backed by one worker thread that serves its strategies one call at a time. */
export class SandboxPool implements Sandbox {
  private readonly limits: SandboxLimits;
  private readonly hardTimeoutMs: number | undefined;
  private readonly strategies = new Map<number, LoadedSource>();
  private session: WorkerSession | null = null;
  private sessionsStarted = 0;
  private nextStrategyId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: SandboxOptions = {}) {
    this.limits = resolveLimits(options);
    this.hardTimeoutMs = options.hardTimeoutMs;
    if (this.hardTimeoutMs !== undefined) requirePositive('hardTimeoutMs', this.hardTimeoutMs);
  }

  /** How often the worker had to be started again (after a crash, a hard timeout or terminateWorker). */
  get workerRestarts(): number {
    return Math.max(0, this.sessionsStarted - 1);
  }

  /**
   * Loads the code (a script defining a global `decide(input)`); rejects with a StrategyCodeError of
   * kind `compile` when it does not parse, throws while loading or defines no decide.
   */
  compile(source: string): Promise<CompiledStrategy> {
    if (source.length > MAX_SOURCE_LENGTH) {
      const message = `The code is ${source.length} characters long; at most ${MAX_SOURCE_LENGTH} are allowed`;
      return Promise.reject(new StrategyCodeError('compile', message));
    }
    const strategyId = this.nextStrategyId++;
    return this.enqueue(async () => {
      const entry: LoadedSource = { source, session: null };
      await this.load(strategyId, entry);
      this.strategies.set(strategyId, entry);
      return {
        call: (input: StrategyInput) => this.call(strategyId, input),
        close: () => this.release(strategyId),
      };
    });
  }

  /**
   * Stops the worker thread now, as an operator would a stuck one: the call in flight fails with
   * `crashed`, and the next call starts a fresh worker and reloads its strategy.
   */
  async terminateWorker(): Promise<void> {
    await this.session?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.strategies.clear();
    const session = this.session;
    this.session = null;
    await session?.terminate();
  }

  private call(strategyId: number, input: StrategyInput): Promise<StrategyOutput> {
    return this.enqueue(async () => {
      const entry = this.strategies.get(strategyId);
      if (!entry) throw new Error('This strategy was disposed or its sandbox closed');
      const session = await this.load(strategyId, entry);
      const request = { op: 'call', strategyId, inputJson: JSON.stringify(input) } as const;
      const reply = await session.request(request, this.hardTimeout(this.limits.cpuMsPerCall));
      return readOutput(reply.outputJson);
    });
  }

  private release(strategyId: number): Promise<void> {
    return this.enqueue(async () => {
      const entry = this.strategies.get(strategyId);
      this.strategies.delete(strategyId);
      if (entry?.session?.alive && entry.session === this.session) {
        await entry.session.request({ op: 'dispose', strategyId }, this.hardTimeout(this.limits.cpuMsPerCall));
      }
    });
  }

  /** Makes sure the current worker holds the strategy's VM and returns that worker. */
  private async load(strategyId: number, entry: LoadedSource): Promise<WorkerSession> {
    const session = this.currentSession();
    if (entry.session !== session) {
      const request = { op: 'compile', strategyId, source: entry.source, limits: this.limits } as const;
      await session.request(request, this.hardTimeout(this.limits.cpuMsToLoad));
      entry.session = session;
    }
    return session;
  }

  private currentSession(): WorkerSession {
    if (this.closed) throw new Error('The sandbox is closed');
    if (!this.session?.alive) {
      this.session = new WorkerSession();
      this.sessionsStarted++;
    }
    return this.session;
  }

  private hardTimeout(budgetMs: number): number {
    return this.hardTimeoutMs ?? budgetMs * 20 + 1000;
  }

  /** Runs tasks one after another, so the worker serves one request at a time. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The sandbox is closed'));
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** Starts a sandbox; its worker thread starts with the first compile. */
export function createSandbox(options: SandboxOptions = {}): SandboxPool {
  return new SandboxPool(options);
}

function readOutput(outputJson: string | undefined): StrategyOutput {
  const check = checkOutput(outputJson === undefined ? undefined : JSON.parse(outputJson));
  if (!check.ok) throw new StrategyCodeError('invalid_result', `decide returned an invalid result: ${check.problem}`);
  return check.output;
}

function resolveLimits(options: SandboxOptions): SandboxLimits {
  const limits = {
    memoryBytes: options.memoryBytes ?? DEFAULT_MEMORY_BYTES,
    cpuMsPerCall: options.cpuMsPerCall ?? DEFAULT_CPU_MS_PER_CALL,
    cpuMsToLoad: options.cpuMsToLoad ?? DEFAULT_CPU_MS_TO_LOAD,
    maxResultBytes: options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
  };
  for (const [name, value] of Object.entries(limits)) requirePositive(name, value);
  if (limits.memoryBytes < MIN_VM_MEMORY_BYTES) {
    throw new RangeError(
      `Sandbox option memoryBytes must be at least ${MIN_VM_MEMORY_BYTES} (16 MiB, the engine's minimum)`,
    );
  }
  return limits;
}

function requirePositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Sandbox option ${name} must be a positive number, got ${value}`);
  }
}
