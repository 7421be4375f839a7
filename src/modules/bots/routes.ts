import type { PlatformContext } from '../../platform/module.ts';
import type { EnqueueBacktest } from './backtest-service.ts';
import type { Sandbox } from './sandbox/sandbox.ts';

export { backtestRoutes } from './routes-backtests.ts';
export { botRoutes } from './routes-bots.ts';
export { strategyRoutes } from './routes-strategies.ts';

/** What the bots module's route plugins are registered with. */
export interface BotsRouteDeps {
  ctx: PlatformContext;
  sandbox: Sandbox;
  enqueueBacktest: EnqueueBacktest;
}
