// Everything the leaderboards module needs from other modules, in one place.

export {
  boardBacktests,
  boardBots,
  boardRecords,
  botAccountsAmong,
  type BoardBot,
  type BoardFill,
} from '../bots/index.ts';
export { cardHoldings, catalogPrices, setsOfVariants } from '../cards/index.ts';
export { washTradedIds } from '../fraud/index.ts';
export { boardUsers, guard, principalOf, publicCollectors } from '../identity/index.ts';
export { executedTrades, ordersWithFills } from '../market/index.ts';
