/*
 * How a strategy's failures are named and worded. A failure of the strategy's code travels to the
 * host as `{ kind, message }`; the message points at the line in the strategy's code when QuickJS
 * gives one.
 */
import type { StrategyErrorKind } from './protocol.ts';

/** A failure caused by the strategy's code; the worker reports it and stays up. */
export class SandboxFailure extends Error {
  constructor(
    readonly kind: StrategyErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxFailure';
  }
}

/** The file name the strategy's code is evaluated under; its frames are the ones to point at. */
export const STRATEGY_FILENAME = 'strategy.js';
const STRATEGY_FRAME = /strategy\.js:(\d+):(\d+)/;

/** What was thrown, as read inside the VM. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack: string;
}

/** Where the VM was when the value was thrown. */
export type Phase = 'load' | 'call' | 'settle' | 'serialize';

export const UNREADABLE: ErrorInfo = { name: '', message: '(a value that could not be read)', stack: '' };

export function parseErrorInfo(json: string): ErrorInfo {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null) return UNREADABLE;
  const { name, message, stack } = value as Record<string, unknown>;
  if (typeof name !== 'string' || typeof message !== 'string' || typeof stack !== 'string') return UNREADABLE;
  return { name, message, stack };
}

export function isOutOfMemory(info: ErrorInfo): boolean {
  return info.name === 'InternalError' && info.message === 'out of memory';
}

/** QuickJS raises it as an InternalError, or as a SyntaxError from inside JSON.parse. */
export function isStackOverflow(info: ErrorInfo): boolean {
  return info.message === 'stack overflow';
}

/** The failure for a value the strategy's code threw (not a limit it hit). */
export function thrownError(info: ErrorInfo, phase: Phase): SandboxFailure {
  if (phase === 'serialize') {
    return new SandboxFailure(
      'invalid_result',
      `The result of decide cannot be turned into JSON: ${formatThrown(info)}`,
    );
  }
  if (phase !== 'load') return new SandboxFailure('throw', `decide threw ${formatThrown(info)}`);
  const where = locate(info.stack);
  if (info.name === 'SyntaxError') {
    return new SandboxFailure('compile', `SyntaxError${where ? ` at ${where}` : ''}: ${info.message}`);
  }
  return new SandboxFailure('compile', `The code threw while loading: ${formatThrown(info)}`);
}

export function mebibytes(bytes: number): string {
  return `${Math.round((bytes / 1048576) * 10) / 10} MiB`;
}

/** Where in the strategy's code the error was raised (its first frame in the strategy's file). */
function locate(stack: string): string {
  const match = STRATEGY_FRAME.exec(stack);
  return match ? `line ${match[1]}, column ${match[2]}` : '';
}

function formatThrown(info: ErrorInfo): string {
  const what = info.name ? `${info.name}: ${info.message}` : info.message;
  const where = locate(info.stack);
  return where ? `${what} (${where})` : what;
}
