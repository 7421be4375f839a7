import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from './catalogue.ts';
import { factsOf } from './facts.ts';
import { longestStreak, measure, parseRule, type FactLike } from './rules.ts';

const fact = (eventId: string, type: string, attrs: FactLike['attrs'] = {}, day = '2026-01-01'): FactLike => ({
  eventId,
  type,
  attrs,
  day,
});

describe('rules', () => {
  it('validates rules as data and names the offending path', () => {
    expect(parseRule({ kind: 'count', type: 'cards.pack_opened', threshold: 3 })).toMatchObject({ threshold: 3 });
    expect(() => parseRule({ kind: 'count', type: 'cards.pack_opened', threshold: 0 })).toThrow(/threshold/);
    expect(() => parseRule({ kind: 'distinct', type: 'trades.completed', threshold: 2 })).toThrow(/invalid rule/);
    expect(() => parseRule({ kind: 'count', type: 'x', threshold: 1, extra: true })).toThrow(/invalid rule/);
    for (const entry of CATALOGUE) expect(parseRule(entry.rule)).toEqual(entry.rule);
  });

  it('counts events, distinct keys and streaks over a set of facts', () => {
    const facts = [
      fact('a', 'trades.completed', { partnerId: 'p1' }, '2026-01-01'),
      fact('b', 'trades.completed', { partnerId: 'p1' }, '2026-01-02'),
      fact('c', 'trades.completed', { partnerId: 'p2' }, '2026-01-04'),
      fact('c', 'trades.completed', { partnerId: 'p2' }, '2026-01-04'),
      fact('d', 'cards.pack_opened', {}, '2026-01-03'),
    ];
    expect(measure({ kind: 'count', type: 'trades.completed', threshold: 1 }, facts)).toBe(3);
    expect(measure({ kind: 'distinct', type: 'trades.completed', key: 'partnerId', threshold: 1 }, facts)).toBe(2);
    expect(measure({ kind: 'streak', type: 'trades.completed', threshold: 1 }, facts)).toBe(2);
    expect(measure({ kind: 'count', type: 'trades.completed', threshold: 1, where: { partnerId: 'p2' } }, facts)).toBe(
      1,
    );
  });

  it('finds the longest run of consecutive days, across month ends, whatever the order', () => {
    expect(longestStreak([])).toBe(0);
    expect(longestStreak(['2026-01-31', '2026-02-01', '2026-01-30', '2026-02-03'])).toBe(3);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 30 }), (offsets) => {
        const days = offsets.map((o) => new Date(Date.UTC(2026, 0, 20 + o)).toISOString().slice(0, 10));
        const set = new Set(offsets);
        let best = 0;
        for (const o of set) {
          let n = 0;
          while (set.has(o + n)) n += 1;
          best = Math.max(best, n);
        }
        expect(longestStreak(days)).toBe(best);
        expect(longestStreak([...days].reverse())).toBe(best);
      }),
    );
  });

  it('turns domain events into facts keyed by their business object, and ignores others', () => {
    const base = { id: 'e1', aggregateType: 'trade', aggregateId: 'x', createdAt: new Date('2026-01-01T00:00:00Z') };
    const u1 = '0190a1b2-0000-7000-8000-000000000001';
    const u2 = '0190a1b2-0000-7000-8000-000000000002';
    const offer = '0190a1b2-0000-7000-8000-0000000000ff';
    const facts = factsOf({
      ...base,
      type: 'trades.completed',
      payload: { offerId: offer, proposerId: u1, recipientId: u2 },
    });
    expect(facts.map((f) => [f.userId, f.eventId, f.attrs.partnerId])).toEqual([
      [u1, `offer:${offer}`, u2],
      [u2, `offer:${offer}`, u1],
    ]);
    expect(factsOf({ ...base, type: 'trades.completed', payload: { offerId: 'nope' } })).toEqual([]);
    expect(
      factsOf({ ...base, type: 'bots.publish', aggregateType: 'bot', payload: { userId: u1, message: {} } }),
    ).toEqual([]);
    expect(
      factsOf({
        ...base,
        type: 'bots.publish',
        aggregateType: 'backtest',
        payload: { userId: u1, message: { status: 'running' } },
      }),
    ).toEqual([]);
  });
});
