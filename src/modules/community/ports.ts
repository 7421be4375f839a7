// Everything the community module needs from other modules, in one place.

export {
  botFillsUntil,
  botsOfStrategies,
  botsOwnedBy,
  findBotSummary,
  findStrategyInfo,
  forkStrategyVersion,
  sharedBotPerformance,
  strategiesInfo,
  versionContent,
  versionStamps,
  versionsWithContent,
  type BotSummary,
  type StrategyInfo,
  type VersionContent,
} from '../bots/index.ts';
export {
  boardUsers,
  currentRole,
  findUserRef,
  guard,
  hasBlocked,
  hasPermission,
  principalOf,
} from '../identity/index.ts';
export { notify } from '../notifications/index.ts';
export { BOTS_EVENTS } from '../bots/index.ts';
export {
  botStandings,
  orderByStanding,
  type BoardMetric,
  type BoardPeriod,
  type BotStanding,
} from '../leaderboards/index.ts';
