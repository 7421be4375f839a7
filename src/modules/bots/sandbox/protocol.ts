/*
 * What the sandbox host and its worker thread say to each other, and the limits they share. The
 * host sends one request at a time and waits for the reply with the same id.
 */

/** Why a strategy's code failed. */
export type StrategyErrorKind =
  | 'compile'
  | 'throw'
  | 'timeout'
  | 'memory'
  | 'stack'
  | 'result_too_large'
  | 'invalid_result'
  | 'async_hang'
  | 'crashed';

/** The limits every VM of one sandbox runs under. */
export interface SandboxLimits {
  memoryBytes: number;
  cpuMsPerCall: number;
  cpuMsToLoad: number;
  maxResultBytes: number;
}

/** The QuickJS binary asks for at least this much memory; no VM can be given less. */
export const MIN_VM_MEMORY_BYTES = 16 * 1024 * 1024;

export type WorkerRequest =
  | { id: number; op: 'compile'; strategyId: number; source: string; limits: SandboxLimits }
  | { id: number; op: 'call'; strategyId: number; inputJson: string }
  | { id: number; op: 'dispose'; strategyId: number };

export type WorkerReply =
  { id: number; ok: true; outputJson?: string } | { id: number; ok: false; kind: StrategyErrorKind; message: string };

/** Sent once, when the engine is loaded and requests can be served. */
export interface WorkerReady {
  ready: true;
}
