/*
 * The sandbox worker thread. It hosts QuickJS compiled to WebAssembly (the same binary on every
 * Node.js version, nothing to build) and keeps one VM per compiled strategy. The host sends one
 * request at a time; a failure of a strategy's code is answered as `{ kind, message }` and the
 * worker carries on. A failure of the engine itself is answered as `crashed`, then the thread exits
 * so that the host starts a clean one.
 */
import { isMainThread, parentPort, type MessagePort } from 'node:worker_threads';
import { QuickJSEngine } from './engine.ts';
import { SandboxFailure } from './failures.ts';
import type { SandboxLimits, WorkerReady, WorkerReply, WorkerRequest } from './protocol.ts';
import { StrategyVm } from './vm.ts';

/** What the worker knows of one compiled strategy; the VM is rebuilt after any failed call. */
interface Entry {
  source: string;
  limits: SandboxLimits;
  vm: StrategyVm | null;
}

class StrategyHost {
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly engine: QuickJSEngine) {}

  /** Serves one request; a SandboxFailure becomes an error reply, anything else propagates. */
  async handle(request: WorkerRequest): Promise<WorkerReply> {
    try {
      return { id: request.id, ok: true, ...(await this.perform(request)) };
    } catch (error) {
      if (!(error instanceof SandboxFailure)) throw error;
      return { id: request.id, ok: false, kind: error.kind, message: error.message };
    }
  }

  private async perform(request: WorkerRequest): Promise<{ outputJson?: string }> {
    switch (request.op) {
      case 'compile':
        await this.compile(request.strategyId, request.source, request.limits);
        return {};
      case 'call':
        return { outputJson: await this.call(request.strategyId, request.inputJson) };
      case 'dispose':
        this.discard(request.strategyId);
        return {};
    }
  }

  private async compile(strategyId: number, source: string, limits: SandboxLimits): Promise<void> {
    this.discard(strategyId);
    const vm = await StrategyVm.load(this.engine, source, limits);
    this.entries.set(strategyId, { source, limits, vm });
  }

  private async call(strategyId: number, inputJson: string): Promise<string> {
    const entry = this.entries.get(strategyId);
    if (!entry) throw new SandboxFailure('crashed', `Strategy ${strategyId} is not loaded in the sandbox`);
    const vm = (entry.vm ??= await StrategyVm.load(this.engine, entry.source, entry.limits));
    try {
      return vm.call(inputJson);
    } catch (error) {
      // A failed call may leave half-done work or a full heap behind: the next call starts afresh.
      if (error instanceof SandboxFailure) {
        entry.vm = null;
        vm.dispose();
      }
      throw error;
    }
  }

  private discard(strategyId: number): void {
    this.entries.get(strategyId)?.vm?.dispose();
    this.entries.delete(strategyId);
  }
}

async function serve(port: MessagePort): Promise<void> {
  // QuickJS computes local time through this thread's Date; pinning it to UTC makes a strategy's
  // dates read the same on every server. The thread runs nothing but the sandbox.
  Date.prototype.getTimezoneOffset = () => 0;
  const host = new StrategyHost(await QuickJSEngine.load());
  let queue = Promise.resolve();
  port.on('message', (request: WorkerRequest) => {
    queue = queue.then(() => answer(port, host, request));
  });
  port.postMessage({ ready: true } satisfies WorkerReady);
}

/** Answers one request in turn; after a failure of the engine itself the thread exits. */
async function answer(port: MessagePort, host: StrategyHost, request: WorkerRequest): Promise<void> {
  try {
    port.postMessage(await host.handle(request));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `The sandbox engine failed and is restarting: ${reason}`;
    port.postMessage({ id: request.id, ok: false, kind: 'crashed', message } satisfies WorkerReply);
    process.exit(1);
  }
}

if (!isMainThread && parentPort) await serve(parentPort);
