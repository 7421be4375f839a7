import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { currentRole, guard, hasPermission, principalOf } from './ports.ts';
import {
  CampaignDetail,
  CampaignPage,
  CampaignUpdate,
  CampaignsQuery,
  ContributeBody,
  CreateCampaignBody,
  IdParams,
  MyPledgesQuery,
  PageQuery,
  Pledge,
  PledgePage,
  RejectBody,
  UpdateBody,
} from './schemas.ts';
import * as service from './service.ts';

const tags = ['crowdfunding'];
const security = [{ bearerAuth: [] }];
const moving = guard('verified', { idempotent: true });
const idem = ' Send an `Idempotency-Key` header to make retries safe. Needs a verified email.';
const review = guard({ permission: 'crowdfunding.review' });

/** `/api/crowdfunding/*` and `/api/admin/crowdfunding/*`: all-or-nothing campaigns backed through the ledger. */
export const crowdfundingRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db, config } = ctx;
  const settings = { requireApproval: config.CROWDFUNDING_REQUIRE_APPROVAL, maxDays: config.CROWDFUNDING_MAX_DAYS };
  const viewer = (request: FastifyRequest): service.Viewer => {
    const p = request.principal;
    return p ? { userId: p.userId, reviewer: hasPermission(currentRole(p), 'crowdfunding.review') } : {};
  };

  app.post(
    '/api/crowdfunding/create-campaign',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Start a campaign',
        description:
          `A goal in coins, a deadline within ${config.CROWDFUNDING_MAX_DAYS} days and up to 10 reward tiers, each ` +
          'with a minimum pledge and a limited quantity. A tier may give cards from your collection: quantity × ' +
          'copies of each move into the campaign’s escrow now and go to the backers if the goal is reached (back ' +
          `to you if not). All or nothing: pledges are collected only if the goal is reached by the deadline, and ` +
          `the platform keeps ${config.CROWDFUNDING_FEE_BPS / 100}% of a funded campaign.` +
          (config.CROWDFUNDING_REQUIRE_APPROVAL ? ' New campaigns wait for an admin’s approval.' : '') +
          idem,
        headers: IdempotencyHeaders,
        body: CreateCampaignBody,
        response: { 201: CampaignDetail },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await service.createCampaign(tx, userId, request.body, settings),
      }));
    },
  );

  app.post(
    '/api/crowdfunding/contribute',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Back a campaign',
        description:
          'Moves `amount` from your wallet into the campaign’s escrow until the deadline. With `tierId`, the ' +
          'amount must reach the tier’s minimum and a unit must be left (409 `tier_sold_out` otherwise). ' +
          `Short funds: 409 \`insufficient_funds\`, nothing moves.${idem}`,
        headers: IdempotencyHeaders,
        body: ContributeBody,
        response: { 201: Pledge },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await service.contribute(tx, userId, request.body),
      }));
    },
  );

  app.get(
    '/api/crowdfunding/campaigns',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Browse campaigns',
        description: 'Public campaigns, optionally of one state, newest, ending soonest or most funded first.',
        querystring: CampaignsQuery,
        response: { 200: CampaignPage },
      },
    },
    async (request) => service.listCampaigns(db, request.query),
  );

  app.get(
    '/api/crowdfunding/campaigns/:id',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'A campaign',
        description: 'Progress, backers, tiers with the units left, and the latest updates.',
        params: IdParams,
        response: { 200: CampaignDetail },
      },
    },
    async (request) => service.getCampaign(db, viewer(request), request.params.id.toLowerCase()),
  );

  app.post(
    '/api/crowdfunding/campaigns/:id/updates',
    {
      ...guard('verified'),
      schema: {
        tags,
        security,
        summary: 'Post an update to your campaign',
        description: 'Creator only (another user’s campaign answers 404). Backers are notified.',
        params: IdParams,
        body: UpdateBody,
        response: { 201: CampaignUpdate },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await service.postUpdate(db, principalOf(request).userId, request.params.id.toLowerCase(), request.body)),
  );

  app.post(
    '/api/crowdfunding/pledges/:id/cancel',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Cancel your pledge',
        description:
          'Before the deadline only (409 `campaign_state` after it): the coins return to your wallet and the ' +
          `tier unit is released.${idem}`,
        headers: IdempotencyHeaders,
        params: IdParams,
        response: { 200: Pledge },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 200,
        body: await service.cancelPledge(tx, userId, request.params.id.toLowerCase()),
      }));
    },
  );

  app.get(
    '/api/crowdfunding/my-pledges',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your pledges, newest first',
        querystring: MyPledgesQuery,
        response: { 200: PledgePage },
      },
    },
    async (request) => service.myPledges(db, principalOf(request).userId, request.query),
  );

  app.get(
    '/api/admin/crowdfunding/campaigns',
    {
      ...review,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Campaigns waiting for review, newest first',
        querystring: PageQuery,
        response: { 200: CampaignPage },
      },
    },
    async (request) => service.listPending(db, request.query),
  );

  app.post(
    '/api/admin/crowdfunding/campaigns/:id/approve',
    {
      ...review,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Approve a campaign: it goes live',
        params: IdParams,
        response: { 200: CampaignDetail },
      },
    },
    async (request) => service.approveCampaign(db, principalOf(request).userId, request.params.id.toLowerCase()),
  );

  app.post(
    '/api/admin/crowdfunding/campaigns/:id/reject',
    {
      ...review,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Reject a campaign',
        description: 'Its reward cards return to the creator, who is told the reason.',
        params: IdParams,
        body: RejectBody,
        response: { 200: CampaignDetail },
      },
    },
    async (request) =>
      service.rejectCampaign(db, principalOf(request).userId, request.params.id.toLowerCase(), request.body.reason),
  );
};
