import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

/*
 * Achievement criteria are data, not code: a rule names the fact type it counts and how.
 *  - `count`:    number of distinct events of `type` (optionally only those whose attributes equal `where`)
 *  - `distinct`: number of distinct values of attribute `key` over those events (e.g. sets completed)
 *  - `streak`:   longest run of consecutive UTC days with at least one such event
 * A rule is met when its measure reaches `threshold`. Every measure is a function of the SET of
 * facts, so duplicated or reordered deliveries cannot change the outcome.
 */

const Scalar = Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean()]);
const FactType = Type.String({ pattern: '^[a-z][a-z0-9_.]{1,80}$' });
const Threshold = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const Where = Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,40}$' }), Scalar, { maxProperties: 5 });

export const Rule = Type.Union([
  Type.Object(
    { kind: Type.Literal('count'), type: FactType, threshold: Threshold, where: Type.Optional(Where) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('distinct'),
      type: FactType,
      key: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,40}$' }),
      threshold: Threshold,
      where: Type.Optional(Where),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('streak'), type: FactType, threshold: Threshold, where: Type.Optional(Where) },
    { additionalProperties: false },
  ),
]);
export type Rule = Static<typeof Rule>;

export type FactAttrs = Record<string, string | number | boolean>;

/** A fact as the pure evaluator sees it. */
export interface FactLike {
  eventId: string;
  type: string;
  attrs: FactAttrs;
  day: string;
}

/** Throws a readable error when `value` is not a valid rule (catalogue entries are validated at seed time). */
export function parseRule(value: unknown): Rule {
  if (Value.Check(Rule, value)) return value;
  const first = Value.Errors(Rule, value)[0];
  throw new Error(`invalid rule${first ? ` at ${first.instancePath || '/'}: ${first.message}` : ''}`);
}

export function matchesRule(rule: Rule, fact: Pick<FactLike, 'type' | 'attrs'>): boolean {
  if (fact.type !== rule.type) return false;
  for (const [k, v] of Object.entries(rule.where ?? {})) if (fact.attrs[k] !== v) return false;
  return true;
}

/** The longest run of consecutive UTC days (`YYYY-MM-DD`) in `days`. */
export function longestStreak(days: Iterable<string>): number {
  const sorted = [...new Set(days)].sort();
  let best = 0;
  let run = 0;
  let prev = Number.NaN;
  for (const d of sorted) {
    const t = Date.parse(`${d}T00:00:00Z`) / 86_400_000;
    run = t === prev + 1 ? run + 1 : 1;
    prev = t;
    if (run > best) best = run;
  }
  return best;
}

/** The rule's measure over a user's facts (deduplicated by event id): the reference evaluator. */
export function measure(rule: Rule, facts: Iterable<FactLike>): number {
  const seen = new Map<string, FactLike>();
  for (const f of facts) if (matchesRule(rule, f)) seen.set(f.eventId, f);
  const matching = [...seen.values()];
  switch (rule.kind) {
    case 'count':
      return matching.length;
    case 'distinct':
      return new Set(
        matching
          .map((f) => f.attrs[rule.key])
          .filter((v) => v !== undefined)
          .map(String),
      ).size;
    case 'streak':
      return longestStreak(matching.map((f) => f.day));
  }
}

/** Progress as shown to the user: the measure, capped at the threshold. */
export const cappedProgress = (rule: Rule, value: number) => Math.min(value, rule.threshold);
