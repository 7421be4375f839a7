/*
 * No-code strategies. A rules document says when to buy a watched card, how many, and when to sell
 * it again; `rulesStrategy` turns a checked document into a `Strategy`, so a rules bot runs in
 * backtests, paper and live exactly like a code bot.
 *
 * A condition reads indicators at the latest closed candle (a cross compares it with the one
 * before). It only holds once every indicator it reads has a value: a bot never trades on an
 * indicator that is still warming up.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import {
  IndicatorSpec,
  createIndicatorMemo,
  describeIndicator,
  specKey,
  warmupCandles,
  type Series,
} from './indicators.ts';
import {
  DEFAULT_LOOKBACK,
  INTERVAL_MS,
  type Candle,
  type Holding,
  type Intent,
  type Strategy,
  type StrategyInput,
  type StrategyOutput,
} from './strategy.ts';

const closed = { additionalProperties: false } as const;
const ConditionRef = Type.Ref('BotRuleCondition');
const Branches = Type.Array(ConditionRef, { minItems: 1, maxItems: 20 });
const Percent = (description: string, options: { exclusiveMaximum?: number; maximum?: number }) =>
  Type.Number({ exclusiveMinimum: 0, ...options, description });

/** How much one entry buys: a fixed number of cards, or a share of the bot's spendable coins. */
const Size = Type.Union([
  Type.Object({ kind: Type.Literal('fixed'), quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, closed),
  Type.Object(
    {
      kind: Type.Literal('percent'),
      percent: Percent('Share of the spendable cash, in whole cards', { maximum: 100 }),
    },
    closed,
  ),
]);

/** A market order, or a limit order `offsetBps` basis points below the last close (negative: above). */
const Order = Type.Union([
  Type.Object({ type: Type.Literal('market') }, closed),
  Type.Object({ type: Type.Literal('limit'), offsetBps: Type.Integer({ minimum: -1_000, maximum: 5_000 }) }, closed),
]);

export const RulesDocument = Type.Cyclic(
  {
    BotRulesDocument: Type.Object(
      {
        version: Type.Literal(1),
        entry: Type.Object(
          { when: ConditionRef, size: Size, order: Type.Optional(Order) },
          {
            ...closed,
            description: 'Buy a card the bot does not hold when `when` holds (an `always` entry adds to it)',
          },
        ),
        exit: Type.Optional(
          Type.Object(
            {
              when: Type.Optional(ConditionRef),
              stopLossPct: Type.Optional(
                Percent('Sell when the close is this far below the entry price', { exclusiveMaximum: 100 }),
              ),
              takeProfitPct: Type.Optional(
                Percent('Sell when the close is this far above the entry price', { maximum: 10_000 }),
              ),
              trailingStopPct: Type.Optional(
                Percent('Sell when the close is this far below its peak since entry', { exclusiveMaximum: 100 }),
              ),
            },
            { ...closed, description: 'When to sell all of a held card; the first rule that holds wins' },
          ),
        ),
        cooldownCandles: Type.Optional(
          Type.Integer({
            minimum: 0,
            maximum: 10_000,
            description: 'Candles to wait after an exit and after each entry',
          }),
        ),
        maxOpenPositions: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 1_000, description: 'Most cards held (or being bought) at once' }),
        ),
      },
      closed,
    ),
    BotRuleCondition: Type.Union([
      Type.Object({ all: Branches }, closed),
      Type.Object({ any: Branches }, closed),
      Type.Object({ not: ConditionRef }, closed),
      Type.Object({ compare: Type.Enum(['>', '<', '>=', '<=']), left: IndicatorSpec, right: IndicatorSpec }, closed),
      Type.Object({ cross: Type.Enum(['above', 'below']), left: IndicatorSpec, right: IndicatorSpec }, closed),
      Type.Object({ always: Type.Literal(true) }, closed),
    ]),
  },
  'BotRulesDocument',
);
export type RulesDocument = Static<typeof RulesDocument>;
export type Condition = RulesDocument['entry']['when'];

/** Deepest nesting of all/any/not a document may use. */
export const MAX_CONDITION_DEPTH = 8;

export interface RuleError {
  /** JSON pointer inside the document, e.g. `/entry/when/all/1/left/period`. */
  path: string;
  message: string;
}
export type RulesValidation = { ok: true; doc: RulesDocument } | { ok: false; errors: RuleError[] };

/**
 * Checks a rules document: its shape (each error at the exact place), then what the shape cannot
 * say (MACD fast below slow, indicators that fit in the `lookback` candles a bot sees, conditions
 * that can change). `lookback` defaults to what bots get.
 */
export function validateRules(doc: unknown, lookback = DEFAULT_LOOKBACK): RulesValidation {
  const shape = explain(RulesDocument, doc, '');
  if (shape.length > 0) return { ok: false, errors: shape };
  // The walk above follows the same schema, so this only narrows the type.
  if (!Value.Check(RulesDocument, doc)) {
    return { ok: false, errors: [{ path: '', message: 'is not a rules document' }] };
  }
  const meaning = documentErrors(doc, lookback);
  return meaning.length > 0 ? { ok: false, errors: meaning } : { ok: true, doc };
}

// ---- shape: walks the schema itself, choosing a union's branch by its tag so errors stay precise

interface JsonSchema {
  $ref?: string;
  anyOf?: JsonSchema[];
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
}

const DEFINITIONS = RulesDocument.$defs as Record<string, JsonSchema>;
/** Guards the walk against absurdly deep input; the depth rule proper is MAX_CONDITION_DEPTH. */
const MAX_POINTER_SEGMENTS = 4 * MAX_CONDITION_DEPTH + 8;

function explain(schema: JsonSchema, value: unknown, path: string): RuleError[] {
  if (schema.$ref !== undefined) return explain(resolve(schema), value, path);
  if (path.split('/').length > MAX_POINTER_SEGMENTS) return [{ path, message: 'is nested too deeply' }];
  if (schema.anyOf) return explainUnion(schema.anyOf.map(resolve), value, path);
  if (schema.type === 'object') return explainObject(schema, value, path);
  if (schema.type === 'array') return explainArray(schema, value, path);
  if (schema.enum && !schema.enum.includes(value)) {
    return [{ path, message: `must be one of: ${schema.enum.join(', ')}` }];
  }
  if ('const' in schema && value !== schema.const) {
    return [{ path, message: `must be ${JSON.stringify(schema.const)}` }];
  }
  const first = Value.Errors(schema as TSchema, value)[0];
  return first ? [{ path, message: first.message }] : [];
}

function resolve(schema: JsonSchema): JsonSchema {
  const target = schema.$ref === undefined ? schema : DEFINITIONS[schema.$ref];
  if (!target) throw new Error(`unknown schema reference ${schema.$ref}`);
  return target.$ref === undefined ? target : resolve(target);
}

function explainObject(schema: JsonSchema, value: unknown, path: string): RuleError[] {
  if (!isRecord(value)) return [{ path, message: 'must be an object' }];
  const properties = schema.properties ?? {};
  const missing = (schema.required ?? [])
    .filter((key) => !Object.hasOwn(value, key))
    .map((key) => ({ path: pointer(path, key), message: 'is required' }));
  const present = Object.entries(value).flatMap(([key, item]) => {
    const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (!property) return [{ path: pointer(path, key), message: 'is not allowed' }];
    return explain(property, item, pointer(path, key));
  });
  return [...missing, ...present];
}

function explainArray(schema: JsonSchema, value: unknown, path: string): RuleError[] {
  if (!Array.isArray(value)) return [{ path, message: 'must be an array' }];
  const { minItems = 0, maxItems = Infinity } = schema;
  if (value.length < minItems) return [{ path, message: `must have at least ${minItems} items` }];
  if (value.length > maxItems) return [{ path, message: `must have at most ${maxItems} items` }];
  const items = schema.items;
  return items ? value.flatMap((item, i) => explain(items, item, pointer(path, String(i)))) : [];
}

/**
 * Every union here is of objects told apart by a tag: the first required key. Where branches share
 * the tag key (`indicator`, `kind`, `type`) its constant value picks the branch.
 */
function explainUnion(branches: JsonSchema[], value: unknown, path: string): RuleError[] {
  if (!isRecord(value)) return [{ path, message: 'must be an object' }];
  const tagOf = (branch: JsonSchema) => branch.required?.[0] ?? '';
  const shared = (tag: string) => branches.filter((branch) => tagOf(branch) === tag).length > 1;
  const chosen = branches.find((branch) => {
    const tag = tagOf(branch);
    if (!Object.hasOwn(value, tag)) return false;
    return !shared(tag) || branch.properties?.[tag]?.const === value[tag];
  });
  if (chosen) return explain(chosen, value, path);
  const tags = [...new Set(branches.map(tagOf))];
  const sharedTag = tags.find((tag) => shared(tag) && Object.hasOwn(value, tag));
  if (sharedTag !== undefined) {
    const allowed = branches
      .filter((branch) => tagOf(branch) === sharedTag)
      .map((b) => b.properties?.[sharedTag]?.const);
    return [{ path: pointer(path, sharedTag), message: `must be one of: ${allowed.join(', ')}` }];
  }
  return [{ path, message: `must have one of the keys: ${tags.join(', ')}` }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointer(path: string, key: string): string {
  return `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

// ---- meaning: what the schema cannot express

function documentErrors(doc: RulesDocument, lookback: number): RuleError[] {
  const errors = conditionErrors(doc.entry.when, '/entry/when', 0, lookback);
  const exit = doc.exit;
  if (exit) {
    const { when, stopLossPct, takeProfitPct, trailingStopPct } = exit;
    if ([when, stopLossPct, takeProfitPct, trailingStopPct].every((rule) => rule === undefined)) {
      errors.push({
        path: '/exit',
        message: 'must set at least one of when, stopLossPct, takeProfitPct, trailingStopPct',
      });
    }
    if (when) errors.push(...conditionErrors(when, '/exit/when', 0, lookback));
  }
  return errors;
}

function conditionErrors(condition: Condition, path: string, depth: number, lookback: number): RuleError[] {
  const nested = 'all' in condition || 'any' in condition || 'not' in condition;
  if (nested && depth >= MAX_CONDITION_DEPTH) {
    return [{ path, message: `nests deeper than ${MAX_CONDITION_DEPTH} levels` }];
  }
  if ('all' in condition || 'any' in condition) {
    const [key, branches] = 'all' in condition ? ['all', condition.all] : ['any', condition.any];
    return branches.flatMap((branch, i) => conditionErrors(branch, `${path}/${key}/${i}`, depth + 1, lookback));
  }
  if ('not' in condition) return conditionErrors(condition.not, `${path}/not`, depth + 1, lookback);
  if ('always' in condition) return [];
  // A cross reads one candle more than a comparison.
  const extra = 'cross' in condition ? 1 : 0;
  const errors = [
    ...operandErrors(condition.left, `${path}/left`, extra, lookback),
    ...operandErrors(condition.right, `${path}/right`, extra, lookback),
  ];
  if ('value' in condition.left && 'value' in condition.right) {
    errors.push({ path: `${path}/right`, message: 'both sides are constants, so the result never changes' });
  } else if ('cross' in condition && specKey(condition.left) === specKey(condition.right)) {
    errors.push({ path: `${path}/right`, message: 'is the same as left, so it can never cross it' });
  }
  return errors;
}

function operandErrors(spec: IndicatorSpec, path: string, extra: number, lookback: number): RuleError[] {
  if ('value' in spec || spec.indicator === 'price') return [];
  const errors: RuleError[] = [];
  if (spec.indicator === 'macd' && spec.fast >= spec.slow) {
    errors.push({ path: `${path}/fast`, message: `must be less than slow (${spec.slow})` });
  }
  const needed = warmupCandles(spec) + extra;
  if (needed > lookback) {
    const field = spec.indicator === 'macd' ? 'slow' : 'period';
    errors.push({ path: `${path}/${field}`, message: `needs ${needed} candles of history; a bot sees ${lookback}` });
  }
  return errors;
}

// ---- the strategy

/** Builds the strategy of a document; throws if the document does not pass `validateRules`. */
export function rulesStrategy(doc: RulesDocument): Strategy {
  const checked = validateRules(doc);
  if (!checked.ok) {
    throw new TypeError(`invalid rules document: ${checked.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  }
  return { decide: (input) => decideRules(checked.doc, input) };
}

/** What one decision has used up so far, across the cards it looks at. */
interface Tally {
  cash: number;
  openPositions: number;
  lastEntryAt: Record<string, number>;
  notes: string[];
  read: (spec: IndicatorSpec, candles: readonly Candle[], count: number) => Series;
}

function decideRules(doc: RulesDocument, input: StrategyInput): StrategyOutput {
  const tally: Tally = {
    cash: input.cash,
    openPositions: countOpenPositions(input),
    lastEntryAt: lastEntries(input),
    notes: [],
    read: createIndicatorMemo(),
  };
  const intents: Intent[] = expiredEntries(input);
  // Sorted, so that when cash or maxOpenPositions run out the same cards win every time.
  for (const variantId of Object.keys(input.candles).sort()) {
    const intent = decideCard(doc, input, variantId, tally);
    if (intent) intents.push(intent);
  }
  return { intents, state: { lastEntryAt: tally.lastEntryAt }, notes: tally.notes };
}

function decideCard(doc: RulesDocument, input: StrategyInput, variantId: string, tally: Tally): Intent | null {
  const candles = input.candles[variantId] ?? [];
  const close = candles.at(-1)?.close;
  if (close === undefined || !(close > 0)) return null;
  const holding = input.holdings[variantId];
  const holds = holding !== undefined && holding.quantity > 0;
  const check = (condition: Condition) => evaluate(condition, (spec) => tally.read(spec, candles, 2));
  if (holds) {
    const sellable = holding.quantity - pending(input, variantId, 'sell');
    const reason = sellable > 0 ? exitReason(doc, close, holding, check) : null;
    if (reason !== null) return { action: 'sell', variantId, type: 'market', quantity: sellable, reason };
    if (!isAlways(doc.entry.when)) return null;
  }
  if (pending(input, variantId, 'buy') > 0 || coolingDown(doc, input, variantId, tally)) return null;
  if (!holds && tally.openPositions >= (doc.maxOpenPositions ?? Infinity)) return null;
  if (!check(doc.entry.when)) return null;
  const order = sizeEntry(doc.entry, close, input.cash, tally.cash);
  if (typeof order === 'string') {
    tally.notes.push(`${variantId}: entry signal but ${order}`);
    return null;
  }
  tally.cash -= order.cost;
  if (!holds) tally.openPositions += 1;
  tally.lastEntryAt[variantId] = input.time;
  const { cost: _cost, ...placed } = order;
  return { action: 'buy', variantId, ...placed, reason: clip(describeCondition(doc.entry.when)) };
}

function exitReason(
  doc: RulesDocument,
  close: number,
  holding: Holding,
  check: (condition: Condition) => boolean,
): string | null {
  const exit = doc.exit;
  if (!exit) return null;
  const { stopLossPct, takeProfitPct, trailingStopPct, when } = exit;
  const cost = holding.entryPrice;
  if (stopLossPct !== undefined && cost > 0 && close <= cost * (1 - stopLossPct / 100)) {
    return `stop-loss ${stopLossPct}%`;
  }
  if (trailingStopPct !== undefined && close <= holding.peakPrice * (1 - trailingStopPct / 100)) {
    return `trailing stop ${trailingStopPct}%`;
  }
  if (takeProfitPct !== undefined && cost > 0 && close >= cost * (1 + takeProfitPct / 100)) {
    return `take-profit ${takeProfitPct}%`;
  }
  return when && check(when) ? clip(`exit: ${describeCondition(when)}`) : null;
}

/** Reasons are shown in run logs, which keep 200 characters. */
function clip(reason: string): string {
  return reason.length <= 200 ? reason : `${reason.slice(0, 199)}…`;
}

type EntryOrder = { type: 'market' | 'limit'; quantity: number; price?: number; cost: number };

/** The order an entry places, or why it places none. Percent sizes never spend above the budget. */
function sizeEntry(entry: RulesDocument['entry'], close: number, cash: number, cashLeft: number): EntryOrder | string {
  const order = entry.order;
  const price = order?.type === 'limit' ? Math.max(1, Math.floor((close * (10_000 - order.offsetBps)) / 10_000)) : null;
  const unit = price ?? close;
  const quantity =
    entry.size.kind === 'fixed'
      ? entry.size.quantity
      : Math.floor(Math.min(Math.floor((cash * entry.size.percent) / 100), cashLeft) / Math.max(unit, close));
  if (quantity < 1) return 'the budget buys no whole card';
  const cost = quantity * unit;
  if (cost > cashLeft) return `not enough cash (${quantity} cards cost about ${Math.ceil(cost)})`;
  return price === null ? { type: 'market', quantity, cost } : { type: 'limit', quantity, price, cost };
}

/** Wait `cooldownCandles` candles after a position closes and after each entry. */
function coolingDown(doc: RulesDocument, input: StrategyInput, variantId: string, tally: Tally): boolean {
  const wait = (doc.cooldownCandles ?? 0) * INTERVAL_MS[input.interval];
  if (wait === 0) return false;
  const since = Math.max(input.lastExitAt[variantId] ?? -Infinity, tally.lastEntryAt[variantId] ?? -Infinity);
  return input.time - since < wait;
}

/**
 * A limit entry waits one candle. Still unfilled at the next decision, it is cancelled (the entry
 * is decided afresh once the cancel has gone through) rather than blocking the card for good.
 */
function expiredEntries(input: StrategyInput): Intent[] {
  return input.openOrders
    .filter((order) => order.side === 'buy' && Object.hasOwn(input.candles, order.variantId))
    .filter((order) => input.time - order.placedAt >= INTERVAL_MS[input.interval])
    .map((order) => ({ action: 'cancel', orderId: order.id, reason: 'entry order unfilled after a candle' }));
}

/** Cards held, plus cards with a buy order waiting that are not held yet. */
function countOpenPositions(input: StrategyInput): number {
  const open = new Set(Object.keys(input.holdings).filter((id) => (input.holdings[id]?.quantity ?? 0) > 0));
  for (const order of input.openOrders) if (order.side === 'buy') open.add(order.variantId);
  return open.size;
}

function pending(input: StrategyInput, variantId: string, side: 'buy' | 'sell'): number {
  return input.openOrders
    .filter((order) => order.variantId === variantId && order.side === side)
    .reduce((sum, order) => sum + order.remaining, 0);
}

/** Entry times this strategy recorded earlier, for the cards it still watches. */
function lastEntries(input: StrategyInput): Record<string, number> {
  const recorded = input.state.lastEntryAt;
  const entries: Record<string, number> = {};
  if (!isRecord(recorded)) return entries;
  for (const [id, time] of Object.entries(recorded)) {
    if (Object.hasOwn(input.candles, id) && typeof time === 'number' && Number.isFinite(time)) entries[id] = time;
  }
  return entries;
}

/** Buying on every signal while holding is what a DCA does: its entry is just `always`. */
function isAlways(condition: Condition): boolean {
  return 'always' in condition;
}

// ---- conditions

const COMPARE = {
  '>': (a: number, b: number) => a > b,
  '<': (a: number, b: number) => a < b,
  '>=': (a: number, b: number) => a >= b,
  '<=': (a: number, b: number) => a <= b,
} as const;

/**
 * Whether the condition holds at the last candle. `read` gives an indicator's last two values.
 * Any indicator without a value makes the whole condition not hold (`null` internally).
 */
function evaluate(condition: Condition, read: (spec: IndicatorSpec) => Series): boolean {
  return truth(condition, read) === true;
}

function truth(condition: Condition, read: (spec: IndicatorSpec) => Series): boolean | null {
  if ('always' in condition) return true;
  if ('not' in condition) {
    const inner = truth(condition.not, read);
    return inner === null ? null : !inner;
  }
  if ('all' in condition || 'any' in condition) {
    const parts = ('all' in condition ? condition.all : condition.any).map((branch) => truth(branch, read));
    if (parts.includes(null)) return null;
    return 'all' in condition ? parts.every(Boolean) : parts.some(Boolean);
  }
  const [beforeLeft, left] = read(condition.left);
  const [beforeRight, right] = read(condition.right);
  if (left == null || right == null) return null;
  if ('compare' in condition) return COMPARE[condition.compare](left, right);
  if (beforeLeft == null || beforeRight == null) return null;
  return condition.cross === 'above'
    ? beforeLeft <= beforeRight && left > right
    : beforeLeft >= beforeRight && left < right;
}

/** A condition in words for run logs, e.g. `sma(10) crosses above sma(30)`. */
export function describeCondition(condition: Condition): string {
  const nested = (inner: Condition) =>
    'all' in inner || 'any' in inner ? `(${describeCondition(inner)})` : describeCondition(inner);
  if ('all' in condition) return condition.all.map(nested).join(' and ');
  if ('any' in condition) return condition.any.map(nested).join(' or ');
  if ('not' in condition) return `not ${nested(condition.not)}`;
  if ('always' in condition) return 'every candle';
  const [left, right] = [describeIndicator(condition.left), describeIndicator(condition.right)];
  return 'compare' in condition
    ? `${left} ${condition.compare} ${right}`
    : `${left} crosses ${condition.cross} ${right}`;
}
