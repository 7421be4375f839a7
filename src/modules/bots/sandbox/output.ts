/*
 * The host's check of what a strategy's code returned. The code is untrusted, so its JSON is read
 * field by field into a fresh StrategyOutput; the first problem found is reported in words a
 * strategy author can act on ("intents[2].quantity must be a positive whole number, got 1.5").
 * Written by hand rather than with a schema library because a union of intents needs messages that
 * name the exact field, which generic union errors do not give.
 */
import type { Intent, StrategyOutput } from '../strategy.ts';

/** Most intents one call may return. */
export const MAX_INTENTS = 100;
/** Most notes one call may return, and their longest length (characters). */
export const MAX_NOTES = 20;
export const MAX_NOTE_LENGTH = 500;
const MAX_REASON_LENGTH = 200;
const MAX_ID_LENGTH = 100;

export type OutputCheck = { ok: true; output: StrategyOutput } | { ok: false; problem: string };

type OrderIntent = Exclude<Intent, { action: 'cancel' }>;

class OutputProblem extends Error {}

/** Reads `value` (the parsed JSON result of decide) as a StrategyOutput. */
export function checkOutput(value: unknown): OutputCheck {
  try {
    return { ok: true, output: readOutput(value) };
  } catch (error) {
    if (error instanceof OutputProblem) return { ok: false, problem: error.message };
    throw error;
  }
}

function readOutput(value: unknown): StrategyOutput {
  const result = readObject(value, 'the result', ['intents', 'state', 'notes']);
  if (!Array.isArray(result.intents)) {
    throw new OutputProblem(`the result must have an intents array, got ${show(result.intents)}`);
  }
  if (result.intents.length > MAX_INTENTS) {
    throw new OutputProblem(`the result has ${result.intents.length} intents; at most ${MAX_INTENTS} are allowed`);
  }
  const output: StrategyOutput = { intents: result.intents.map((intent, i) => readIntent(intent, `intents[${i}]`)) };
  if (result.state != null) output.state = readObject(result.state, 'state');
  if (result.notes != null) output.notes = readNotes(result.notes);
  return output;
}

function readIntent(value: unknown, path: string): Intent {
  const action = isRecord(value) ? value.action : undefined;
  if (action === 'cancel') {
    const intent = readObject(value, path, ['action', 'orderId', 'reason']);
    return { action, orderId: readId(intent.orderId, `${path}.orderId`), ...readReason(intent.reason, path) };
  }
  if (action !== 'buy' && action !== 'sell') {
    throw new OutputProblem(`${path}.action must be "buy", "sell" or "cancel", got ${show(action)}`);
  }
  const intent = readObject(value, path, ['action', 'variantId', 'type', 'quantity', 'price', 'reason']);
  const { type } = intent;
  if (type !== 'limit' && type !== 'market') {
    throw new OutputProblem(`${path}.type must be "limit" or "market", got ${show(type)}`);
  }
  const order: OrderIntent = {
    action,
    variantId: readId(intent.variantId, `${path}.variantId`),
    type,
    quantity: readWhole(intent.quantity, `${path}.quantity`),
    ...readReason(intent.reason, path),
  };
  if (type === 'limit' || intent.price != null) order.price = readWhole(intent.price, `${path}.price`);
  return order;
}

function readNotes(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((note) => typeof note !== 'string')) {
    throw new OutputProblem(`notes must be an array of strings, got ${show(value)}`);
  }
  if (value.length > MAX_NOTES)
    throw new OutputProblem(`notes has ${value.length} entries; at most ${MAX_NOTES} are allowed`);
  const long = value.findIndex((note: string) => note.length > MAX_NOTE_LENGTH);
  if (long >= 0) throw new OutputProblem(`notes[${long}] is longer than ${MAX_NOTE_LENGTH} characters`);
  return value as string[];
}

function readObject(value: unknown, path: string, keys?: readonly string[]): Record<string, unknown> {
  if (!isRecord(value)) throw new OutputProblem(`${path} must be an object, got ${show(value)}`);
  const unknown = keys ? Object.keys(value).find((key) => !keys.includes(key)) : undefined;
  if (unknown !== undefined) {
    throw new OutputProblem(`${path} has an unknown field "${unknown}" (allowed: ${keys?.join(', ')})`);
  }
  return value;
}

function readId(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new OutputProblem(
      `${path} must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${show(value)}`,
    );
  }
  return value;
}

/** Prices and quantities are whole numbers (minor units, whole cards) above zero. */
function readWhole(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  const hint = value === null ? ' (NaN and Infinity become null in JSON)' : '';
  throw new OutputProblem(`${path} must be a positive whole number, got ${show(value)}${hint}`);
}

function readReason(value: unknown, path: string): { reason?: string } {
  if (value == null) return {};
  if (typeof value !== 'string' || value.length > MAX_REASON_LENGTH) {
    throw new OutputProblem(`${path}.reason must be a string of at most ${MAX_REASON_LENGTH} characters`);
  }
  return { reason: value };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
