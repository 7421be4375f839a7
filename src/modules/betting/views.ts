import { fixedOdds, overroundOf, parimutuelOdds } from './odds.ts';
import type { BetRow, EventRow, MarketRow, OutcomeRow } from './tables.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const num = (v: bigint) => Number(v);

/** Current odds of a market's outcomes (in position order): the one place views and bets read them. */
export function currentOdds(market: MarketRow, outcomes: readonly OutcomeRow[]): (number | null)[] {
  if (market.type === 'parimutuel')
    return parimutuelOdds(
      outcomes.map((o) => o.staked),
      market.takeoutBps,
    );
  return fixedOdds(outcomes, market.overroundBps, market.outcomeLiabilityCap);
}

export function marketView(market: MarketRow, outcomes: readonly OutcomeRow[]) {
  const odds = currentOdds(market, outcomes);
  return {
    id: market.id,
    type: market.type,
    name: market.name,
    status: market.status,
    takeoutBps: market.takeoutBps,
    overroundBps: market.type === 'fixed' ? overroundOf(odds.map((o) => o ?? 0).filter((o) => o > 0)) : 0,
    totalStaked: num(market.totalStaked),
    winningOutcomeId: market.winningOutcomeId,
    limits: {
      minStake: num(market.minStake),
      maxStake: num(market.maxStake),
      maxPayout: num(market.maxPayout),
      userLiabilityCap: num(market.userLiabilityCap),
      outcomeLiabilityCap: num(market.outcomeLiabilityCap),
    },
    outcomes: outcomes.map((o, i) => ({ id: o.id, label: o.label, staked: num(o.staked), odds: odds[i] ?? null })),
  };
}

export function eventView(
  event: EventRow,
  markets: readonly MarketRow[],
  outcomes: ReadonlyMap<string, OutcomeRow[]>,
  now: Date,
) {
  return {
    id: event.id,
    kind: event.kind,
    title: event.title,
    description: event.description,
    opensAt: event.opensAt.toISOString(),
    startsAt: event.startsAt.toISOString(),
    bettingOpen: event.opensAt <= now && event.startsAt > now && markets.some((m) => m.status === 'open'),
    priceRule:
      event.kind === 'card_price' && event.variantId && event.threshold !== null && event.priceDate
        ? {
            variantId: event.variantId,
            threshold: num(event.threshold),
            date: event.priceDate.toISOString().slice(0, 10),
            rule: priceRule(event.threshold, event.priceDate),
          }
        : null,
    settlement: event.settlement ?? null,
    markets: markets.map((m) => marketView(m, outcomes.get(m.id) ?? [])),
  };
}

export function priceRule(threshold: bigint, date: Date): string {
  return (
    `Yes wins if the card's recorded 1d candle for ${date.toISOString().slice(0, 10)} (UTC) closes above ` +
    `${threshold} minor units; No wins otherwise. No candle that day (no trades): the market is void and every stake refunded.`
  );
}

export function betView(bet: BetRow, marketType: string, cancellable: boolean) {
  const settled = bet.status === 'won' || bet.status === 'lost';
  return {
    id: bet.id,
    eventId: bet.eventId,
    marketId: bet.marketId,
    outcomeId: bet.outcomeId,
    marketType,
    stake: num(bet.stake),
    odds: bet.oddsMilli,
    potentialPayout: bet.potentialPayout === null ? null : num(bet.potentialPayout),
    status: bet.status,
    payout: num(bet.payout),
    profit: settled ? num(bet.payout - bet.stake) : null,
    cancellable,
    createdAt: bet.createdAt.toISOString(),
    settledAt: iso(bet.settledAt),
  };
}
