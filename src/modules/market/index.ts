import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { marketExporter } from './export-data.ts';
import { publishState } from '../../platform/realtime/state.ts';
import { CARDS_EVENTS } from '../cards/index.ts';
import { holdsFor } from '../fraud/index.ts';
import { marketAdminRoutes } from './admin-routes.ts';
import { invalidateOnChange, marketDataStore } from './data-cache.ts';
import { marketDataRoutes } from './data-routes.ts';
import { marketRoutes } from './routes.ts';
import { demoMarketSeeder } from './seed.ts';
import { closeRetired, expireDueOrders } from './service.ts';
import { MARKET_EVENTS, type PublishBundle, type PublishPayload } from './settlement.ts';

/*
 * The exchange: one book per card variant, escrowed through the ledger, matched by the pure engine
 * under a per-variant database lock. Realtime updates leave through the outbox, so a rolled-back
 * match publishes nothing.
 */
export { DEFAULT_MARKET_SETTINGS, cancelOrder, listMyOrders, placeOrder, type MarketSettings } from './service.ts';
export { MARKET_EVENTS, marketChannels } from './settlement.ts';
export { loadMarketSettings } from './config-service.ts';
export {
  ordersWithFills,
  recordedCandles,
  tradeCountSince,
  type OrderFill,
  type RecordedCandle,
} from './feed-service.ts';
export { MAX_ORDER_PRICE, MAX_ORDER_QUANTITY } from './schemas.ts';
export { commission, type FeeSchedule } from './engine/fees.ts';
export { executedTrades, type ExecutedTrade } from './board-feed.ts';
export { UnknownCardError } from './errors.ts';
export {
  ListingNotFoundError,
  ListingNotOpenError,
  ListingQuantityError,
  ListingUnavailableError,
  NoSellerProceedsError,
  OwnListingError,
  amendListing,
  cancelListing,
  createListing,
  purchaseListing,
} from './listing-service.ts';
export {
  SUGGESTION_MAX_AGE_MS,
  SUGGESTION_MIN_TRADES,
  SUGGESTION_SAMPLE_SIZE,
  quote,
  suggestPrice,
} from './engine/index.ts';
/** Read-only: the marketplace's listing queries join the book (writes go through the services above). */
export { marketOrders, marketTrades } from './tables.ts';

export const MARKET_JOBS = { expire: 'market.expire-orders' } as const;

const isMarketStateChannel = (channel: string) => /^market\.(book|ticker)\./.test(channel);

const MARKET_CHANNEL = /^market\.((trades|ticker|book)\.[0-9a-f-]{36}|candles\.[0-9a-f-]{36}\.(1m|5m|15m|1h|4h|1d))$/;

export const marketModule: ModuleDefinition = {
  name: 'market',
  async setup(ctx) {
    registerExporter(ctx, marketExporter);
    // Market data is public: anyone may follow a book's trades, ticker and depth.
    ctx.channelPolicies.push((channel) => (MARKET_CHANNEL.test(channel) ? 'allow' : undefined));
    // A book's depth and its ticker are states: snapshot on subscribe, then conflated deltas, versioned
    // by the outbox position of the change (rises with commit order per book). Trades are never conflated.
    ctx.stateChannels.push(isMarketStateChannel);
    ctx.events.on(MARKET_EVENTS.publish, 'market.realtime', async (event) => {
      const payload = event.payload as PublishBundle | PublishPayload;
      for (const { channel, message } of 'messages' in payload ? payload.messages : [payload]) {
        if (isMarketStateChannel(channel)) {
          await publishState(ctx.realtime, ctx.cache, channel, Number(event.seq ?? 0), message, (err) =>
            ctx.logger.warn({ err, channel }, 'market state not kept in the cache'),
          );
        } else {
          await ctx.realtime.publish(channel, message);
        }
      }
    });
    // Cached market data of a variant is dropped once its book or trades change.
    ctx.events.on(
      MARKET_EVENTS.changed,
      'market.data-cache',
      invalidateOnChange(await marketDataStore(ctx.cache, ctx.db)),
    );
    // A retired card's book closes: open orders are cancelled and their escrow returned.
    ctx.events.on(CARDS_EVENTS.retired, 'market.close-retired', async (event) => {
      const { variantIds } = event.payload as { variantIds: string[] };
      const closed = await closeRetired(ctx.db, variantIds);
      if (closed > 0) ctx.logger.info({ closed }, 'closed open orders of retired cards');
    });
    ctx.jobs.define(MARKET_JOBS.expire, async () => {
      const expired = await expireDueOrders(ctx.db);
      if (expired > 0) ctx.logger.info({ expired }, 'expired market orders');
    });
    ctx.jobs.every(MARKET_JOBS.expire, ctx.config.MARKET_EXPIRY_SWEEP_SECONDS);
  },
  seeds: [demoMarketSeeder],
  async routes(app, opts) {
    await app.register(marketRoutes, opts);
    await app.register(marketAdminRoutes, opts);
    await app.register(marketDataRoutes, { ...opts, holds: holdsFor });
  },
};
