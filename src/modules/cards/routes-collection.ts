import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CatalogDeps } from './catalog-service.ts';
import {
  CollectionPage,
  CollectionQuery,
  SetCompletion,
  UsernameParams,
  WishBody,
  WishDeleteQuery,
  Wishlist,
} from './collection-schemas.ts';
import * as collection from './collection-service.ts';
import { personal } from './http.ts';
import { guard, principalOf } from './ports.ts';

const tags = ['collection'];
const security = [{ bearerAuth: [] }];

/** `/api/collection/*` and public collections: holdings come straight from ledger balances. */
export const collectionRoutes: FastifyPluginAsyncTypebox<{ deps: CatalogDeps }> = async (app, { deps }) => {
  const { db } = deps;

  app.get(
    '/api/collection',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your cards',
        description: 'Your holdings with quantities per variant; the filters, sorts and paging of GET /api/cards.',
        querystring: CollectionQuery,
        response: { 200: CollectionPage },
      },
    },
    async (request, reply) => {
      personal(reply);
      return collection.collection(db, principalOf(request).userId, request.query);
    },
  );

  app.get(
    '/api/collection/sets',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your completion per set',
        description: 'Distinct cards of each set you own (any variant) out of the set’s cards.',
        response: { 200: SetCompletion },
      },
    },
    async (request, reply) => {
      personal(reply);
      return collection.setCompletion(db, principalOf(request).userId);
    },
  );

  app.get(
    '/api/users/:username/collection',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: "Someone's collection",
        description: 'Only when its owner made it public: 403 `collection_private` otherwise.',
        params: UsernameParams,
        querystring: CollectionQuery,
        response: { 200: CollectionPage },
      },
    },
    async (request) => collection.publicCollection(db, request.params.username, request.query),
  );

  app.get(
    '/api/collection/wishlist',
    { ...guard('user'), schema: { tags, security, summary: 'Your wishlist', response: { 200: Wishlist } } },
    async (request, reply) => {
      personal(reply);
      return collection.wishlist(db, principalOf(request).userId);
    },
  );

  app.put(
    '/api/collection/wishlist',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Add a card to your wishlist',
        description: 'Adds the card, or updates the wanted variant and note if it is already there.',
        body: WishBody,
        response: { 200: Wishlist },
      },
    },
    async (request) => collection.putWish(db, principalOf(request).userId, request.body),
  );

  app.delete(
    '/api/collection/wishlist',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Remove a card from your wishlist',
        querystring: WishDeleteQuery,
        response: { 200: Wishlist },
      },
    },
    async (request) => collection.deleteWish(db, principalOf(request).userId, request.query.cardId),
  );
};
