import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { runIdempotent } from '../../platform/http/idempotency.ts';
import { invalidatePacks } from './cache.ts';
import type { CatalogDeps } from './catalog-service.ts';
import { sendCached } from './http.ts';
import * as opening from './open-service.ts';
import {
  IdempotencyHeaders,
  OpenBody,
  OpeningReply,
  PackCreateBody,
  PackList,
  PackListQuery,
  PackProduct,
  PackUpdateBody,
  PurchaseBody,
  PurchaseReply,
} from './pack-schemas.ts';
import * as packs from './pack-service.ts';
import { guard, principalOf } from './ports.ts';
import { IdParams } from './schemas.ts';

const tags = ['packs'];
const security = [{ bearerAuth: [] }];
const admin = guard({ permission: 'catalog.manage' });
const moving = guard('verified', { idempotent: true });
const MOVING_DOC = ' Send an `Idempotency-Key` header to make retries safe. Needs a verified email.';

/** `/api/packs`: products with their published odds, purchase and verifiable opening. */
export const packRoutes: FastifyPluginAsyncTypebox<{ deps: CatalogDeps }> = async (app, { deps }) => {
  app.get(
    '/api/packs',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Pack products',
        description: 'Price, slots and per-rarity odds of every product (per-card odds on the product itself).',
        querystring: PackListQuery,
        response: { 200: PackList },
      },
    },
    async (request, reply) => sendCached(reply, await packs.listPacks(deps, request.query.includeRetired)),
  );

  app.get(
    '/api/packs/:id',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'One pack product with its exact odds',
        description:
          'The probabilities the draw uses right now, per slot, per rarity and per card: for a regular pack, ' +
          'for the pity pack, and per pack over time. Sold-out cards are left out and the weights renormalised.',
        params: IdParams,
        response: { 200: PackProduct },
      },
    },
    async (request, reply) => sendCached(reply, await packs.getPack(deps, request.params.id)),
  );

  app.post(
    '/api/packs',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Create a pack product',
        body: PackCreateBody,
        response: { 201: PackProduct },
      },
    },
    async (request, reply) => reply.code(201).send(await packs.createPack(deps, request.body)),
  );

  app.put(
    '/api/packs/:id',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Update or retire a pack product',
        description:
          'Send only the fields to change. Changing odds changes the drop table hash users are committed to.',
        params: IdParams,
        body: PackUpdateBody,
        response: { 200: PackProduct },
      },
    },
    async (request) => packs.updatePack(deps, request.params.id, request.body),
  );

  app.delete(
    '/api/packs/:id',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Delete a pack product never sold',
        description: '409 `pack_in_use` once packs were sold: retire it instead.',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await packs.deletePack(deps, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/packs/:id/purchase',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Buy sealed packs',
        description: `Pays the price in coins (to fees) and adds sealed packs to your wallet.${MOVING_DOC}`,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: PurchaseBody,
        response: { 201: PurchaseReply },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(deps.db, request, reply, async (tx) => ({
        status: 201,
        body: await opening.purchasePack(tx, userId, request.params.id, request.body.quantity),
      }));
    },
  );

  app.post(
    '/api/packs/open',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Open a pack you own',
        description:
          'Burns one sealed pack, draws its cards with your provably fair seed and mints them to your wallet. ' +
          'The reply carries the proof inputs; after rotating your seed, GET /api/fairness/verify/{id} ' +
          `recomputes it. 409 \`pack_not_owned\` without a sealed pack.${MOVING_DOC}`,
        headers: IdempotencyHeaders,
        body: OpenBody,
        response: { 201: OpeningReply },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      let tookCapped = false;
      const sent = await runIdempotent(deps.db, request, reply, async (tx) => {
        const result = await opening.openPack(tx, userId, request.body.packId, request.body.commitment);
        tookCapped = result.tookCapped;
        return { status: 201, body: result.reply };
      });
      if (tookCapped) await invalidatePacks(deps.cache);
      return sent;
    },
  );
};
