import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { OfferNotFoundError } from './errors.ts';
import { currentRole, guard, hasPermission, principalOf } from './ports.ts';
import { CounterBody, IdParams, ListQuery, Offer, OfferPage, ProposeBody } from './schemas.ts';
import * as trades from './service.ts';
import { offerView, offerViews, toItems } from './views.ts';
import { decodeIdCursor, encodeIdCursor } from '../../platform/http/cursor.ts';

const tags = ['trades'];
const security = [{ bearerAuth: [] }];
const moving = guard('verified', { idempotent: true });
const idem = ' Send an `Idempotency-Key` header to make retries safe. Needs a verified email.';

/** `/api/trades/*`: offers of cards and coins between two users, escrowed until answered. */
export const tradesRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db, config } = ctx;
  const limits = {
    maxOpenOffers: config.TRADES_MAX_OPEN_OFFERS,
    ttlSeconds: config.TRADES_OFFER_TTL_HOURS * 3600,
  };

  app.post(
    '/api/trades',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Propose a trade',
        description:
          'Offers your cards and coins for the recipient’s. What you offer is held in escrow until the ' +
          `offer is accepted, declined, cancelled or expires.${idem}`,
        headers: IdempotencyHeaders,
        body: ProposeBody,
        response: { 201: Offer },
      },
    },
    async (request, reply) => {
      const { to, offered, requested, message } = request.body;
      const proposerId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: offerView(
          await trades.propose(tx, limits, {
            to,
            proposerId,
            offered: toItems(offered),
            requested: toItems(requested),
            message,
          }),
        ),
      }));
    },
  );

  app.get(
    '/api/trades',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your trade offers',
        description: 'Open offers to you (incoming) or from you (outgoing), or closed ones (history); newest first.',
        querystring: ListQuery,
        response: { 200: OfferPage },
      },
    },
    async (request) => {
      const { box, limit, cursor } = request.query;
      const userId = principalOf(request).userId;
      const page = await trades.listOffers(db, userId, box, limit, decodeIdCursor(cursor));
      return {
        items: await offerViews(db, page.items, userId),
        nextCursor: page.nextCursor ? encodeIdCursor(page.nextCursor) : null,
      };
    },
  );

  app.get(
    '/api/trades/:id',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'One trade offer',
        description: 'Only for its two parties (or an admin); anyone else gets 404.',
        params: IdParams,
        response: { 200: Offer },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const readAny = hasPermission(currentRole(principal), 'resources.manage_any');
      const offer = await trades.offerFor(db, request.params.id, principal.userId, readAny);
      if (!offer) throw new OfferNotFoundError();
      const [view] = await offerViews(db, [offer], principal.userId);
      return view;
    },
  );

  const actions = [
    ['accept', 'Accept a trade offer', 'The recipient accepts: both sides are exchanged at once.'],
    ['decline', 'Decline a trade offer', 'The recipient declines: the escrow returns to the proposer.'],
    ['cancel', 'Cancel your trade offer', 'The proposer withdraws it: the escrow returns to them.'],
  ] as const;
  for (const [action, summary, description] of actions) {
    app.post(
      `/api/trades/:id/${action}`,
      {
        ...moving,
        schema: {
          tags,
          security,
          summary,
          description: description + idem,
          headers: IdempotencyHeaders,
          params: IdParams,
          response: { 200: Offer },
        },
      },
      async (request, reply) => {
        const userId = principalOf(request).userId;
        const id = request.params.id;
        return runIdempotent(db, request, reply, async (tx) => ({
          status: 200,
          body:
            action === 'accept'
              ? (await offerViews(tx, [await trades.accept(tx, id, userId)], userId))[0]
              : offerView(await trades.withdraw(tx, id, userId, action)),
        }));
      },
    );
  }

  app.post(
    '/api/trades/:id/counter',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Counter a trade offer',
        description:
          'The recipient replaces the offer with their own to the proposer: the original closes and its escrow ' +
          `returns, and the new offer escrows what you now offer.${idem}`,
        headers: IdempotencyHeaders,
        params: IdParams,
        body: CounterBody,
        response: { 201: Offer },
      },
    },
    async (request, reply) => {
      const { offered, requested, message } = request.body;
      const proposerId = principalOf(request).userId;
      const id = request.params.id;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: offerView(
          await trades.counter(tx, limits, id, {
            proposerId,
            offered: toItems(offered),
            requested: toItems(requested),
            message,
          }),
        ),
      }));
    },
  );
};
