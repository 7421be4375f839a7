import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { chiSquare, upperRegularizedGamma } from './chi-square.ts';
import { drawPack, isPityPack, SoldOutError, type DropTable, type Supply } from './draw.ts';
import { publishedOdds, type PublishedOdds } from './odds.ts';
import { RARITIES, rarityRank, type Rarity } from './rarity.ts';
import { sampleDropTable } from './sample-table.ts';

const SEED = '5eed'.repeat(16);
const OPENINGS = 100_000;

/** Pull counts per rarity for each slot table that was used: `slot:regular` or, for the pity slot, `slot:pity`. */
type Tally = Map<string, Map<Rarity, number>>;

function chiSquareOverTables(tally: Tally, odds: PublishedOdds) {
  // Every slot is one categorical draw from a published table, independent of the other slots
  // given the kind of pack, which is known before the pack is drawn. Each table's Pearson
  // statistic is chi-square with (cells - 1) degrees of freedom and their sum with the summed
  // degrees of freedom (a martingale argument covers the pity pack depending on earlier openings).
  let statistic = 0;
  let degreesOfFreedom = 0;
  for (const [key, counts] of tally) {
    const [slotText, kind] = key.split(':');
    const table = kind === 'pity' ? odds.pitySlot : odds.slots[Number(slotText)];
    const n = [...counts.values()].reduce((a, b) => a + b, 0);
    const rarities = table?.rarities ?? [];
    const result = chiSquare(
      RARITIES.map((r) => counts.get(r) ?? 0),
      RARITIES.map((r) => n * (rarities.find((x) => x.rarity === r)?.probability ?? 0)),
    );
    statistic += result.statistic;
    degreesOfFreedom += result.degreesOfFreedom;
  }
  return { statistic, degreesOfFreedom, pValue: upperRegularizedGamma(degreesOfFreedom / 2, statistic / 2) };
}

describe('drawPack over 100,000 openings', () => {
  const table = sampleDropTable();
  const odds = publishedOdds(table, {});
  const tally: Tally = new Map();
  const commonCounts = new Map<string, number>();
  let rarityTotals = new Map<Rarity, number>();
  let pityPacks = 0;
  let longestDrought = 0;
  let countersConsistent = true;

  beforeAll(() => {
    const floor = rarityRank('epic');
    let drought = 0;
    let counter = 0;
    for (let nonce = 0; nonce < OPENINGS; nonce++) {
      const pityPack = isPityPack(table, counter);
      if (pityPack) pityPacks++;
      const draw = drawPack({
        serverSeed: SEED,
        clientSeed: 'statistics',
        nonce,
        table,
        pityCounter: counter,
        supply: {},
      });
      for (const pull of draw.pulls) {
        const key = `${pull.slot}:${pityPack && pull.slot === table.slots.length - 1 ? 'pity' : 'regular'}`;
        const counts = tally.get(key) ?? new Map<Rarity, number>();
        tally.set(key, counts);
        counts.set(pull.rarity, (counts.get(pull.rarity) ?? 0) + 1);
        if (pull.rarity === 'common') commonCounts.set(pull.cardId, (commonCounts.get(pull.cardId) ?? 0) + 1);
      }
      const hit = draw.pulls.some((p) => rarityRank(p.rarity) >= floor);
      drought = hit ? 0 : drought + 1;
      longestDrought = Math.max(longestDrought, drought);
      countersConsistent &&= draw.pityAfter === (hit ? 0 : counter + 1);
      counter = draw.pityAfter;
    }
    rarityTotals = new Map(RARITIES.map((r) => [r, [...tally.values()].reduce((s, c) => s + (c.get(r) ?? 0), 0)]));
  });

  it('matches the published odds of every slot, pity slot included (chi-square, p > 0.001)', () => {
    expect(tally.get('4:pity')).toBeDefined();
    const result = chiSquareOverTables(tally, odds);
    expect(result.degreesOfFreedom).toBe(2 + 2 + 2 + 4 + 3 + 2);
    expect(result.pValue).toBeGreaterThan(0.001);
  });

  it('matches the published per-rarity totals per pack', () => {
    // Totals: expected counts from the regular and pity tables, variance from the same tables.
    for (const r of odds.rarities) {
      const expected = (OPENINGS - pityPacks) * r.perPack + pityPacks * r.perPityPack;
      let variance = 0;
      for (const [key, counts] of tally) {
        const [slot, kind] = key.split(':');
        const p =
          (kind === 'pity' ? odds.pitySlot : odds.slots[Number(slot)])?.rarities.find((x) => x.rarity === r.rarity)
            ?.probability ?? 0;
        variance += [...counts.values()].reduce((a, b) => a + b, 0) * p * (1 - p);
      }
      const z = ((rarityTotals.get(r.rarity) ?? 0) - expected) / Math.sqrt(variance);
      // |z| > 3.29 has probability 0.001 under the published odds.
      expect(Math.abs(z)).toBeLessThan(3.29);
    }
  });

  it('would notice odds that differ from the published ones', () => {
    // The same pulls judged against a slot table with epic 2100 instead of 2200 must fail: the test has teeth.
    const shifted = structuredClone(odds);
    const slot = shifted.slots[4];
    if (!slot) throw new Error('fixture has five slots');
    slot.rarities = slot.rarities.map((x) => ({
      ...x,
      probability: (x.rarity === 'epic' ? 2100 : x.rarity === 'rare' ? 7100 : x.weight) / slot.totalWeight,
    }));
    expect(chiSquareOverTables(tally, shifted).pValue).toBeLessThan(0.001);
  });

  it('picks cards uniformly within a rarity', () => {
    const commons = table.pool.filter((c) => c.rarity === 'common').map((c) => c.cardId);
    const total = rarityTotals.get('common') ?? 0;
    const result = chiSquare(
      commons.map((id) => commonCounts.get(id) ?? 0),
      commons.map(() => total / commons.length),
    );
    expect(result.degreesOfFreedom).toBe(59);
    expect(result.pValue).toBeGreaterThan(0.001);
  });

  it('never breaks the pity guarantee and keeps its counter exactly', () => {
    expect(pityPacks).toBeGreaterThan(0);
    expect(longestDrought).toBeLessThan(table.pity?.packs ?? 0);
    expect(countersConsistent).toBe(true);
  });

  it('comes close to the published long-run pity share', () => {
    const share = odds.pity?.longRunPityShare ?? 0;
    // Binomial standard error is a fair yardstick here: 6 of them is far outside chance.
    const sd = Math.sqrt((share * (1 - share)) / OPENINGS);
    expect(Math.abs(pityPacks / OPENINGS - share)).toBeLessThan(6 * sd);
  });
});

describe('print runs', () => {
  const capped = (remaining: number): { table: DropTable; supply: Supply } => {
    const table = sampleDropTable({ capped: { mythic: 5, legendary: 5 } });
    const supply: Supply = {};
    for (const c of table.pool) if (c.maxSupply !== null) supply[c.cardId] = remaining;
    return { table, supply };
  };

  it('drops sold-out cards and renormalises the remaining weights', () => {
    const { table, supply } = capped(0);
    const odds = publishedOdds(table, supply);
    const last = odds.slots[4];
    expect(last?.rarities.map((r) => r.rarity)).toEqual(['rare', 'epic']);
    expect(last?.totalWeight).toBe(9200);
    expect(last?.rarities.find((r) => r.rarity === 'epic')?.probability).toBe(2200 / 9200);
    for (const slot of odds.slots) expect(slot.rarities.reduce((s, r) => s + r.probability, 0)).toBeCloseTo(1, 12);
    expect(odds.cards.some((c) => c.rarity === 'mythic' || c.rarity === 'legendary')).toBe(false);
    for (let nonce = 0; nonce < 2000; nonce++) {
      const draw = drawPack({ serverSeed: SEED, clientSeed: 'sold-out', nonce, table, pityCounter: 0, supply });
      expect(draw.pulls.every((p) => p.rarity !== 'mythic' && p.rarity !== 'legendary')).toBe(true);
    }
  });

  it('never hands out more copies than remain, even within one pack (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.nat(1_000_000),
        fc.nat(12),
        fc.dictionary(fc.constantFrom('5-mythic-000', '5-mythic-001', '5-mythic-002'), fc.nat(2)),
        (seed, nonce, pityCounter, mythicSupply) => {
          const table = sampleDropTable({ capped: { mythic: 2 } });
          const supply: Supply = { '5-mythic-000': 0, '5-mythic-001': 0, '5-mythic-002': 0, ...mythicSupply };
          const draw = drawPack({ serverSeed: seed, clientSeed: 'p', nonce, table, pityCounter, supply });
          expect(draw.pulls).toHaveLength(table.slots.length);
          for (const [cardId, left] of Object.entries(supply)) {
            expect(draw.pulls.filter((p) => p.cardId === cardId).length).toBeLessThanOrEqual(left);
          }
          if (isPityPack(table, pityCounter)) {
            expect(rarityRank(draw.pulls[4]?.rarity ?? 'common')).toBeGreaterThanOrEqual(rarityRank('epic'));
            expect(draw.pityApplied).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes the last copy in one slot and renormalises the next slots of the same pack', () => {
    // A pool of one capped card with one copy: the first slot takes it and the second has nothing left.
    const table: DropTable = {
      productId: 'p',
      slots: [{ weights: { mythic: 1 } }, { weights: { mythic: 1, common: 1 } }],
      pity: null,
      pool: [
        { cardId: 'c', rarity: 'common', maxSupply: null },
        { cardId: 'm', rarity: 'mythic', maxSupply: 1 },
      ],
    };
    const draw = drawPack({ serverSeed: SEED, clientSeed: 'x', nonce: 1, table, pityCounter: 0, supply: { m: 1 } });
    expect(draw.pulls.map((p) => p.cardId)).toEqual(['m', 'c']);
    expect(() => drawPack({ serverSeed: SEED, clientSeed: 'x', nonce: 1, table, pityCounter: 0, supply: {} })).toThrow(
      SoldOutError,
    );
  });

  it('keeps counting when the guarantee cannot be honoured because every guaranteed card is sold out', () => {
    const { table, supply } = capped(0);
    for (const c of table.pool) if (c.rarity === 'epic') supply[c.cardId] = 0;
    const withEpicsCapped = {
      ...table,
      pool: table.pool.map((c) => (c.rarity === 'epic' ? { ...c, maxSupply: 1 } : c)),
    };
    const draw = drawPack({
      serverSeed: SEED,
      clientSeed: 'x',
      nonce: 3,
      table: withEpicsCapped,
      pityCounter: 9,
      supply,
    });
    expect(draw.pityApplied).toBe(false);
    expect(draw.pityAfter).toBe(10);
  });
});

describe('publishedOdds', () => {
  const odds = publishedOdds(sampleDropTable(), {});

  it('gives each card its rarity share split evenly', () => {
    for (const r of odds.rarities) {
      const cards = odds.cards.filter((c) => c.rarity === r.rarity);
      expect(cards).toHaveLength(r.eligibleCards);
      expect(cards.reduce((s, c) => s + c.perPack, 0)).toBeCloseTo(r.perPack, 12);
      expect(cards.reduce((s, c) => s + c.longRunPerPack, 0)).toBeCloseTo(r.longRunPerPack, 12);
    }
    expect(odds.rarities.reduce((s, r) => s + r.perPack, 0)).toBeCloseTo(5, 12);
  });

  it('publishes a pity slot restricted to the guaranteed rarities', () => {
    expect(odds.pitySlot?.rarities.map((r) => r.rarity)).toEqual(['epic', 'legendary', 'mythic']);
    expect(odds.pitySlot?.totalWeight).toBe(3000);
  });

  it('computes the long-run pity share of the counter chain', () => {
    // Iterate the distribution of the counter to its stationary state and compare.
    const q = odds.pity?.regularPackHitChance ?? 0;
    const n = odds.pity?.packs ?? 0;
    let dist: number[] = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0));
    for (let step = 0; step < 5000; step++) {
      const next = new Array<number>(n).fill(0);
      dist.forEach((p, c) => {
        if (c === n - 1) next[0] = (next[0] ?? 0) + p;
        else {
          next[0] = (next[0] ?? 0) + p * q;
          next[c + 1] = (next[c + 1] ?? 0) + p * (1 - q);
        }
      });
      dist = next;
    }
    expect(odds.pity?.longRunPityShare).toBeCloseTo(dist[n - 1] ?? 0, 10);
  });
});
