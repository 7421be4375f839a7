import type { ModuleDefinition } from '../../platform/module.ts';
import { marketRoutes } from './routes.ts';
import { MARKET_EVENTS, type PublishPayload } from './settlement.ts';

/*
 * The exchange: one book per card variant, escrowed through the ledger, matched by the pure engine
 * under a per-variant database lock. Realtime updates leave through the outbox, so a rolled-back
 * match publishes nothing.
 */
export { DEFAULT_MARKET_SETTINGS, cancelOrder, listMyOrders, placeOrder, type MarketSettings } from './service.ts';
export { MARKET_EVENTS, marketChannels } from './settlement.ts';

const MARKET_CHANNEL = /^market\.((trades|ticker|book)\.[0-9a-f-]{36}|candles\.[0-9a-f-]{36}\.(1m|5m|15m|1h|4h|1d))$/;

export const marketModule: ModuleDefinition = {
  name: 'market',
  setup(ctx) {
    // Market data is public: anyone may follow a book's trades, ticker and depth.
    ctx.channelPolicies.push((channel) => (MARKET_CHANNEL.test(channel) ? 'allow' : undefined));
    ctx.events.on(MARKET_EVENTS.publish, 'market.realtime', async (event) => {
      const { channel, message } = event.payload as PublishPayload;
      await ctx.realtime.publish(channel, message);
    });
  },
  routes: marketRoutes,
};
