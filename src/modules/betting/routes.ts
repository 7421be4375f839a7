import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { cancelBet, myBets, placeBet } from './bet-service.ts';
import { listEvents, loadEventView, type MarketDefaults } from './event-service.ts';
import { confirmAge, getProfile, selfExclude, setLimits } from './play-service.ts';
import { guard, principalOf } from './ports.ts';
import {
  AgeBody,
  Bet,
  BetPage,
  Event,
  EventPage,
  EventsQuery,
  IdParams,
  LimitsBody,
  MyBetsQuery,
  PlaceBetBody,
  Profile,
  SelfExclusionBody,
} from './schemas.ts';
import type { EnqueueProcess } from './settlement.ts';

export { adminBettingRoutes } from './routes-admin.ts';

/** What the betting route plugins are registered with. */
export interface BettingRouteDeps {
  ctx: PlatformContext;
  defaults: MarketDefaults;
  enqueue: EnqueueProcess;
}

const tags = ['betting'];
const security = [{ bearerAuth: [] }];
const moving = guard('verified', { idempotent: true });

/** `/api/betting/…`: events, bets and responsible-play settings. */
export const bettingRoutes: FastifyPluginAsyncTypebox<BettingRouteDeps> = async (app, { ctx }) => {
  const { db, config } = ctx;
  app.get(
    '/api/betting/events',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Events, newest first',
        description:
          'Each market lists its outcomes with current odds (decimal × 1000), its takeout (parimutuel) or ' +
          'overround (fixed odds) and its stake limits. Filter by `status` and `kind`.',
        querystring: EventsQuery,
        response: { 200: EventPage },
      },
    },
    async (request) => listEvents(db, request.query),
  );
  app.get(
    '/api/betting/events/:id',
    {
      ...guard('public'),
      schema: { tags, summary: 'An event with its markets', params: IdParams, response: { 200: Event } },
    },
    async (request) => loadEventView(db, request.params.id.toLowerCase()),
  );
  app.post(
    '/api/betting/place-bet',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Place a bet',
        description:
          'The stake moves from your wallet into the market’s escrow. Fixed-odds markets need `odds` (the price ' +
          'you saw); if the odds have worsened by more than `oddsTolerance` basis points the bet is refused with ' +
          '409 `odds_changed` carrying `currentOdds`, and nothing moves. Parimutuel odds are indicative until the ' +
          'pool closes. Betting closes when the event starts. Requires the age confirmation; refused while ' +
          'self-excluded or cooling off, or past a loss limit. Send an `Idempotency-Key` to make retries safe.',
        headers: IdempotencyHeaders,
        body: PlaceBetBody,
        response: { 201: Bet },
      },
    },
    async (request, reply) =>
      runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await placeBet(tx, principalOf(request).userId, request.body),
      })),
  );
  app.get(
    '/api/betting/my-bets',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your bets, newest first',
        description: 'Open and settled bets with profit/loss, and a summary with ROI over settled bets.',
        querystring: MyBetsQuery,
        response: { 200: BetPage },
      },
    },
    async (request) => myBets(db, principalOf(request).userId, request.query),
  );
  app.post(
    '/api/betting/bets/:id/cancel',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Cancel a bet',
        description:
          'Parimutuel bets can be cancelled while their market takes bets (until the event starts); the stake ' +
          'returns from the pool. Fixed-odds bets are never cancellable (409 `bet_not_cancellable`). Another ' +
          'user’s bet answers 404.',
        headers: IdempotencyHeaders,
        params: IdParams,
        response: { 200: Bet },
      },
    },
    async (request, reply) =>
      runIdempotent(db, request, reply, async (tx) => ({
        status: 200,
        body: await cancelBet(tx, principalOf(request).userId, request.params.id.toLowerCase()),
      })),
  );
  app.get(
    '/api/betting/limits',
    {
      ...guard('user'),
      schema: { tags, security, summary: 'Your responsible-play settings', response: { 200: Profile } },
    },
    async (request) => getProfile(db, principalOf(request).userId),
  );
  app.put(
    '/api/betting/limits',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Set deposit and loss limits',
        description:
          `Per rolling day, week (7 days) and month (30 days), minor units. Lowering a limit or setting a new one ` +
          `applies at once; raising or removing one (null) applies after ${config.BETTING_LIMIT_RAISE_DELAY_HOURS} ` +
          `hours. Deposit limits also apply to wallet deposits.`,
        body: LimitsBody,
        response: { 200: Profile },
      },
    },
    async (request) => setLimits(db, principalOf(request).userId, request.body, config.BETTING_LIMIT_RAISE_DELAY_HOURS),
  );
  app.post(
    '/api/betting/self-exclusion',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Start a cool-off or self-exclusion',
        description:
          'No bets and no deposits until it ends. It cannot be lifted or shortened: a shorter request leaves ' +
          'the running period unchanged, a longer one extends it. cool_off: 1–42 days; self_exclusion: 180–1825.',
        body: SelfExclusionBody,
        response: { 200: Profile },
      },
    },
    async (request) => selfExclude(db, principalOf(request).userId, request.body),
  );
  app.post(
    '/api/betting/age-confirmation',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Confirm you are of legal betting age',
        description: 'Required once before the first bet.',
        body: AgeBody,
        response: { 200: Profile },
      },
    },
    async (request) => confirmAge(db, principalOf(request).userId),
  );
};
