/*
 * A strategy written by a user in JavaScript, run in the sandbox. The code defines a global
 * `decide(input)` that returns `{ intents, state?, notes? }` (or a promise of it); the input and the
 * output are the StrategyInput and StrategyOutput of strategy.ts, passed as JSON.
 */
import { createSandbox, type Sandbox, type SandboxOptions } from './sandbox/sandbox.ts';
import type { Strategy } from './strategy.ts';

/** Either the limits of a sandbox of its own, or a sandbox shared with other strategies. */
export type CodeStrategyOptions = SandboxOptions | { sandbox: Sandbox };

/**
 * Compiles `source` into a Strategy. With `{ sandbox }` the strategy lives in that sandbox and
 * `close` frees only its VM; otherwise it gets a sandbox (one worker thread) that `close` stops.
 * Rejects with a StrategyCodeError when the code cannot be loaded.
 */
export async function codeStrategy(source: string, options: CodeStrategyOptions = {}): Promise<Strategy> {
  const shared = 'sandbox' in options ? options.sandbox : undefined;
  const sandbox = shared ?? createSandbox(options as SandboxOptions);
  try {
    const compiled = await sandbox.compile(source);
    return {
      decide: (input) => compiled.call(input),
      close: async () => {
        await compiled.close();
        if (!shared) await sandbox.close();
      },
    };
  } catch (error) {
    if (!shared) await sandbox.close();
    throw error;
  }
}
