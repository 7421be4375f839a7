import { describe, expect, it } from 'vitest';
import { realisedPnlFifo, type UserFill } from './pnl.ts';

let n = 0;
const fill = (
  side: 'buy' | 'sell',
  price: bigint,
  quantity: bigint,
  fee = 0n,
  assetId = 'drake',
  ts = ++n,
): UserFill => ({
  id: `f${n}`,
  assetId,
  side,
  price,
  quantity,
  fee,
  ts,
});

describe('realised profit, FIFO cost basis', () => {
  it('sells the oldest units first', () => {
    const report = realisedPnlFifo([fill('buy', 100n, 2n), fill('buy', 150n, 2n), fill('sell', 200n, 3n)]);
    // Cost of the three oldest units: 100 + 100 + 150.
    expect(report.fills[2]).toMatchObject({ side: 'sell', costBasis: 350n, realised: 250n, uncoveredQuantity: 0n });
    expect(report.positions).toEqual([{ assetId: 'drake', openQuantity: 1n, openCost: 150n, realised: 250n }]);
    expect(report.totalRealised).toBe(250n);
  });

  it('counts fees into the cost and out of the proceeds', () => {
    const report = realisedPnlFifo([fill('buy', 100n, 1n, 5n), fill('sell', 120n, 1n, 6n)]);
    expect(report.fills[1]).toMatchObject({ costBasis: 105n, realised: 9n });
  });

  it('splits a lot pro rata without losing a minor unit', () => {
    const report = realisedPnlFifo([
      fill('buy', 10n, 3n, 1n), // 31 for 3 units
      fill('sell', 20n, 1n),
      fill('sell', 20n, 1n),
      fill('sell', 20n, 1n),
    ]);
    const costs = report.fills.slice(1).map((f) => f.costBasis);
    expect(costs).toEqual([10n, 10n, 11n]);
    expect(report.totalRealised).toBe(60n - 31n);
  });

  it('realises only on units it has a purchase for', () => {
    const report = realisedPnlFifo([fill('buy', 100n, 1n), fill('sell', 300n, 3n)]);
    expect(report.fills[1]).toMatchObject({ costBasis: 100n, realised: 200n, uncoveredQuantity: 2n });
  });

  it('keeps cards apart and orders fills by time', () => {
    const report = realisedPnlFifo([
      fill('sell', 50n, 1n, 0n, 'golem', 30),
      fill('buy', 40n, 1n, 0n, 'golem', 10),
      fill('buy', 500n, 1n, 0n, 'drake', 20),
    ]);
    expect(report.fills.map((f) => [f.assetId, f.side])).toEqual([
      ['golem', 'buy'],
      ['drake', 'buy'],
      ['golem', 'sell'],
    ]);
    expect(report.positions).toEqual([
      { assetId: 'golem', openQuantity: 0n, openCost: 0n, realised: 10n },
      { assetId: 'drake', openQuantity: 1n, openCost: 500n, realised: 0n },
    ]);
  });
});
