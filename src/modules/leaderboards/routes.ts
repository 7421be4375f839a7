import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Cache } from '../../platform/cache/cache.ts';
import type { PlatformContext } from '../../platform/module.ts';
import type { BoardMirror } from './mirror.ts';
import { guard, principalOf } from './ports.ts';
import {
  BoardQuery,
  BoardReply,
  CollectorsQuery,
  PeopleQuery,
  PeopleReply,
  PreviewReply,
  RebuildReply,
} from './schemas.ts';
import { botBoard, collectorsBoard, preview, tradersBoard } from './service.ts';

export interface LeaderboardRouteDeps {
  ctx: PlatformContext;
  mirror: BoardMirror | undefined;
  /** The module's view of the shared cache (scoped to this database). */
  cache: Cache;
  requestRebuild: () => Promise<void>;
}

const security = [{ bearerAuth: [] }];
const tags = ['leaderboards'];
export const PREVIEW_KEY = 'preview';

const COMPUTED =
  ' Every number comes from the platform’s own record (equity snapshots, fills, exchange trades), computed by a ' +
  'recurring job; reads never compute, and are cached for a few seconds until the boards change. Pass ' +
  '`nextCursor` back as `cursor` for the next page.';

/** `/api/leaderboards`: bot boards, the public preview, traders and collectors. */
export const leaderboardRoutes: FastifyPluginAsyncTypebox<LeaderboardRouteDeps> = async (
  app,
  { ctx, mirror, cache, requestRebuild },
) => {
  const { db, config } = ctx;
  const deps = { db, mirror, cache: { store: cache, ttlMs: config.LEADERBOARD_CACHE_TTL_MS } };
  app.get(
    '/api/leaderboards',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'A bot board',
        description:
          'Bots (live or paper) or finished backtests ranked by one metric over a period, best first: return, ' +
          'Sharpe and profit factor highest first, maximum drawdown lowest first; ties go to more trades, then ' +
          `the lower id. To be ranked a bot needs ${config.LEADERBOARD_MIN_TRADES} closed trades in the period, ` +
          `${config.LEADERBOARD_MIN_AGE_HOURS} hours of record and an allocation of ${config.LEADERBOARD_MIN_ALLOCATION}; ` +
          'trades flagged as wash trading never count, and a new strategy version starts a new record. ' +
          '`myRank` is your best-placed bot on this board.' +
          COMPUTED,
        querystring: BoardQuery,
        response: { 200: BoardReply },
      },
    },
    async (request) => botBoard(deps, request.query, principalOf(request).userId),
  );
  app.get(
    '/api/leaderboards/preview',
    {
      ...guard('public', {
        rateLimit: {
          max: config.LEADERBOARD_PREVIEW_RATE_LIMIT_MAX,
          timeWindow: config.RATE_LIMIT_WINDOW_MS,
          keyGenerator: (request: { ip: string }) => request.ip,
        },
      }),
      schema: {
        tags,
        summary: 'Top bots for a landing page',
        description:
          'The top 10 of the live and paper boards by return and by Sharpe over 30 days: the first page of each ' +
          'full board, with bot names, owners’ usernames and numbers only. Public, cached, limited per address.',
        response: { 200: PreviewReply },
      },
    },
    async () => {
      const cached = await cache.get<Awaited<ReturnType<typeof preview>>>(PREVIEW_KEY);
      if (cached) return cached;
      const fresh = await preview(deps);
      await cache.set(PREVIEW_KEY, fresh, config.LEADERBOARD_CACHE_TTL_MS);
      return fresh;
    },
  );
  app.get(
    '/api/leaderboards/traders',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Exchange traders by realised profit',
        description:
          'People ranked by profit realised on the exchange over the period, with an average cost per card: a ' +
          'buy costs price × quantity plus its fee, a sale brings price × quantity minus its fee. Copies sold ' +
          'without an exchange purchase (packs, gifts) are left out; wash-flagged trades and bots never count.' +
          COMPUTED,
        querystring: PeopleQuery,
        response: { 200: PeopleReply },
      },
    },
    async (request) => tradersBoard(deps, request.query, principalOf(request).userId),
  );
  app.get(
    '/api/leaderboards/collectors',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Public collections by value',
        description:
          'Public collections ranked by the catalogue value of the cards held (private collections are never ' +
          'listed). `period` is always `all`.' +
          COMPUTED,
        querystring: CollectorsQuery,
        response: { 200: PeopleReply },
      },
    },
    async (request) => collectorsBoard(deps, request.query, principalOf(request).userId),
  );
  app.post(
    '/api/admin/leaderboards/rebuild',
    {
      ...guard({ permission: 'leaderboards.rebuild' }),
      schema: {
        tags: ['admin'],
        security,
        summary: 'Rebuild every leaderboard now',
        description: 'Queues a full rebuild (it also runs on a schedule).',
        response: { 202: RebuildReply },
      },
    },
    async (_request, reply) => {
      await requestRebuild();
      return reply.code(202).send({ queued: true });
    },
  );
};
