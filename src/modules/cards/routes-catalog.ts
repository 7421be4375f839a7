import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import * as catalog from './catalog-service.ts';
import { personal, sendCached } from './http.ts';
import { guard } from './ports.ts';
import {
  Card,
  CardCreateBody,
  CardListQuery,
  CardPage,
  CardSet,
  CardUpdateBody,
  IdParams,
  SearchQuery,
  SearchReply,
  SetCreateBody,
  SetList,
  SetUpdateBody,
} from './schemas.ts';

const security = [{ bearerAuth: [] }];
const admin = guard({ permission: 'catalog.manage' });
const SetParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 36, pattern: '^[A-Za-z0-9-]+$', description: 'Set id or code' }) },
  { additionalProperties: false },
);
const SetListQuery = Type.Object({ includeRetired: Type.Boolean({ default: false }) }, { additionalProperties: false });

/** `/api/cards` and `/api/sets`: the catalogue, its search and its administration. */
export const catalogRoutes: FastifyPluginAsyncTypebox<{ deps: catalog.CatalogDeps }> = async (app, { deps }) => {
  const tags = ['cards'];

  app.get(
    '/api/cards',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Browse the catalogue',
        description:
          'Filter by set, rarity, element, name, variant, price range and (signed in) what you own; sort by ' +
          'name, rarity, newest or price; page with `cursor`. Responses carry an ETag.',
        querystring: CardListQuery,
        response: { 200: CardPage },
      },
    },
    async (request, reply) => {
      if (request.query.owned !== undefined) personal(reply);
      return sendCached(reply, await catalog.listCards(deps, request.query, request.principal?.userId));
    },
  );

  app.get(
    '/api/cards/search',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Search cards',
        description:
          'Ranked full-text search over name, set, element, rarity and card text; misspelt words still match ' +
          'by similarity.',
        querystring: SearchQuery,
        response: { 200: SearchReply },
      },
    },
    async (request, reply) => sendCached(reply, await catalog.searchCards(deps, request.query)),
  );

  app.get(
    '/api/cards/:id',
    { ...guard('public'), schema: { tags, summary: 'One card', params: IdParams, response: { 200: Card } } },
    async (request, reply) => sendCached(reply, await catalog.getCard(deps, request.params.id)),
  );

  app.post(
    '/api/cards',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Create a card',
        description: 'Creates the card and every variant level, each a ledger asset. Needs `catalog.manage`.',
        body: CardCreateBody,
        response: { 201: Card },
      },
    },
    async (request, reply) => reply.code(201).send(await catalog.createCard(deps, request.body)),
  );

  app.put(
    '/api/cards/:id',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Update or retire a card',
        description: 'Send only the fields to change. `retired: true` takes it out of packs; owners keep it.',
        params: IdParams,
        body: CardUpdateBody,
        response: { 200: Card },
      },
    },
    async (request) => catalog.updateCard(deps, request.params.id, request.body),
  );

  app.delete(
    '/api/cards/:id',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Delete a card',
        description: 'Only a card never minted can be deleted: 409 `card_owned` / `card_in_use` otherwise (retire it).',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await catalog.deleteCard(deps, request.params.id);
      return reply.code(204).send(null);
    },
  );

  const setTags = ['sets'];
  app.get(
    '/api/sets',
    {
      ...guard('public'),
      schema: { tags: setTags, summary: 'Card sets', querystring: SetListQuery, response: { 200: SetList } },
    },
    async (request, reply) => sendCached(reply, await catalog.listSets(deps, request.query.includeRetired)),
  );

  app.get(
    '/api/sets/:id',
    {
      ...guard('public'),
      schema: { tags: setTags, summary: 'One set', params: SetParams, response: { 200: CardSet } },
    },
    async (request, reply) => sendCached(reply, await catalog.getSet(deps, request.params.id)),
  );

  app.post(
    '/api/sets',
    {
      ...admin,
      schema: { tags: setTags, security, summary: 'Create a set', body: SetCreateBody, response: { 201: CardSet } },
    },
    async (request, reply) => reply.code(201).send(await catalog.createSet(deps, request.body)),
  );

  app.put(
    '/api/sets/:id',
    {
      ...admin,
      schema: {
        tags: setTags,
        security,
        summary: 'Update or retire a set',
        params: IdParams,
        body: SetUpdateBody,
        response: { 200: CardSet },
      },
    },
    async (request) => catalog.updateSet(deps, request.params.id, request.body),
  );

  app.delete(
    '/api/sets/:id',
    {
      ...admin,
      schema: {
        tags: setTags,
        security,
        summary: 'Delete an empty set',
        description: '409 `set_not_empty` while it has cards.',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await catalog.deleteSet(deps, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
