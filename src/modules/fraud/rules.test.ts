import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRAUD_SETTINGS as S, evaluate, type PartyFacts, type TradeFacts } from './rules.ts';

const DAY = 86_400_000;
const at = new Date('2026-06-01T12:00:00Z');
const old = new Date(at.getTime() - 365 * DAY);
const fresh = new Date(at.getTime() - DAY);
const A = '00000000-0000-7000-8000-00000000000a';
const B = '00000000-0000-7000-8000-00000000000b';
const V = '00000000-0000-7000-8000-0000000000cc';

function party(over: Partial<PartyFacts> & Pick<PartyFacts, 'userId' | 'role'>): PartyFacts {
  return {
    accountCreatedAt: old,
    receivedValue: 100n,
    givenValue: 100n,
    received: [{ asset: 'COIN', amount: 100n }],
    recentTrades: 1,
    ...over,
  };
}

function fill(over: Partial<TradeFacts> = {}, buyer: Partial<PartyFacts> = {}, seller: Partial<PartyFacts> = {}) {
  return {
    kind: 'fill',
    reference: 'market.trade:x',
    at,
    variantId: V,
    price: 100n,
    referencePrice: 100n,
    parties: [party({ userId: A, role: 'buyer', ...buyer }), party({ userId: B, role: 'seller', ...seller })],
    pairHistory: [],
    ...over,
  } satisfies TradeFacts;
}

const rules = (f: TradeFacts) => evaluate(f).map((m) => `${m.rule}:${m.severity}`);

describe('fraud rules', () => {
  it('passes an ordinary fill', () => {
    expect(evaluate(fill())).toEqual([]);
  });

  it('flags wash trading only for round trips, severe from the higher count', () => {
    const one = (trades: number, bothDirections: boolean) =>
      fill({ pairHistory: [{ variantId: V, trades, bothDirections }] });
    expect(rules(one(2, true))).toEqual([]);
    expect(rules(one(5, false))).toEqual([]);
    expect(rules(one(3, true))).toEqual(['wash_trading:low']);
    const severe = evaluate(one(S.washSevereTrades, true));
    expect(severe).toMatchObject([{ rule: 'wash_trading', severity: 'high', variantId: V }]);
    expect(severe[0]?.holdUserIds.sort()).toEqual([A, B].sort());
  });

  it('holds the receiver of a large gift when an account is new', () => {
    const gift = (created: Date, received: bigint, given: bigint) =>
      evaluate({
        ...fill({ kind: 'offer', variantId: null, price: null, referencePrice: null }),
        parties: [
          party({
            userId: A,
            role: 'recipient',
            accountCreatedAt: created,
            receivedValue: received,
            givenValue: given,
          }),
          party({ userId: B, role: 'proposer', receivedValue: given, givenValue: received }),
        ],
      });
    expect(gift(fresh, 100_000n, 0n)).toMatchObject([
      { rule: 'new_account_gift', severity: 'high', holdUserIds: [A], details: { receiverId: A, newAccounts: [A] } },
    ]);
    expect(gift(old, 100_000n, 0n)).toEqual([]);
    // Below the value floor, or a fair swap: nothing.
    expect(gift(fresh, S.giftMinValue - 1n, 0n)).toEqual([]);
    expect(gift(fresh, 100_000n, 60_000n)).toEqual([]);
  });

  it('flags velocity above the limit without a hold', () => {
    const m = evaluate(fill({}, { recentTrades: S.velocityMaxTrades + 1 }));
    expect(m).toMatchObject([{ rule: 'trade_velocity', severity: 'low', userIds: [A], holdUserIds: [] }]);
    expect(evaluate(fill({}, { recentTrades: S.velocityMaxTrades }))).toEqual([]);
  });

  it('flags prices far from the reference and holds the side that gained', () => {
    expect(rules(fill({ price: 299n }))).toEqual([]);
    expect(rules(fill({ price: 300n }))).toEqual(['price_far_from_reference:low']);
    expect(evaluate(fill({ price: 500n }))).toMatchObject([{ severity: 'high', holdUserIds: [B] }]);
    expect(evaluate(fill({ price: 20n }))).toMatchObject([{ severity: 'high', holdUserIds: [A] }]);
    expect(rules(fill({ referencePrice: null, price: 10_000n }))).toEqual([]);
  });

  it('property: the price rule matches exactly when the ratio reaches the factor', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (price, ref) => {
        const m = evaluate(fill({ price, referencePrice: ref })).find((x) => x.rule === 'price_far_from_reference');
        const [hi, lo] = price > ref ? [price, ref] : [ref, price];
        expect(Boolean(m)).toBe(hi >= lo * BigInt(S.priceFactor));
        if (m) {
          expect(m.severity).toBe(hi >= lo * BigInt(S.priceSevereFactor) ? 'high' : 'low');
          // Only the side that gained is ever held.
          expect(m.holdUserIds).toEqual(m.severity === 'high' ? [price > ref ? B : A] : []);
        }
      }),
    );
  });

  it('property: matches do not depend on the order of the parties, and holds only name parties', () => {
    const side = fc.record({
      young: fc.boolean(),
      received: fc.bigInt({ min: 0n, max: 500_000n }),
      given: fc.bigInt({ min: 0n, max: 500_000n }),
      recent: fc.integer({ min: 0, max: 60 }),
    });
    const history = fc.array(fc.record({ trades: fc.integer({ min: 1, max: 10 }), bothDirections: fc.boolean() }), {
      maxLength: 3,
    });
    fc.assert(
      fc.property(side, side, history, (a, b, h) => {
        const mk = (userId: string, role: 'proposer' | 'recipient', s: typeof a) =>
          party({
            userId,
            role,
            accountCreatedAt: s.young ? fresh : old,
            receivedValue: s.received,
            givenValue: s.given,
            recentTrades: s.recent,
          });
        const base = fill({
          kind: 'offer',
          variantId: null,
          price: null,
          referencePrice: null,
          pairHistory: h.map((x, i) => ({ ...x, variantId: `v${i}` })),
        });
        const ab = evaluate({ ...base, parties: [mk(A, 'recipient', a), mk(B, 'proposer', b)] });
        const ba = evaluate({ ...base, parties: [mk(B, 'proposer', b), mk(A, 'recipient', a)] });
        const norm = (ms: typeof ab) => ms.map((m) => `${m.rule}:${m.severity}`).sort();
        expect(norm(ab)).toEqual(norm(ba));
        for (const m of ab) {
          for (const id of m.holdUserIds) expect([A, B]).toContain(id);
          if (m.severity === 'low') expect(m.holdUserIds).toEqual([]);
        }
      }),
    );
  });
});
