import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { guard, principalOf } from '../identity/index.ts';
import {
  CreateListingBody,
  Listing,
  ListingIdParams,
  ListingPage,
  ListingsQuery,
  MyListingsQuery,
  PurchaseBody,
  PurchaseReply,
  SuggestionReply,
  UpdateListingBody,
  VariantParams,
} from './schemas.ts';
import * as marketplace from './service.ts';

const tags = ['marketplace'];
const security = [{ bearerAuth: [] }];
const moving = guard('verified', { idempotent: true });
const idem = ' Send an `Idempotency-Key` header to make retries safe. Needs a verified email.';

/**
 * `/api/marketplace/*`: listings are resting sell orders at a fixed price in the card's exchange
 * book, so they share its escrow, fees and market data.
 */
export const marketplaceRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db } = ctx;

  app.get(
    '/api/marketplace/listings',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Browse listings',
        description:
          'Open listings filtered by card, set, rarity, price range and seller, sorted by price or newest; ' +
          'pass `nextCursor` back as `cursor` for the next page.',
        querystring: ListingsQuery,
        response: { 200: ListingPage },
      },
    },
    async (request) => marketplace.browseListings(db, request.query),
  );

  app.get(
    '/api/marketplace/my-listings',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your listings',
        description: 'Open listings, or done ones (sold out or cancelled), newest first.',
        querystring: MyListingsQuery,
        response: { 200: ListingPage },
      },
    },
    async (request) => marketplace.myListings(db, principalOf(request).userId, request.query),
  );

  app.post(
    '/api/marketplace/create-listing',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'List cards for sale',
        description:
          'Moves the cards into escrow and offers them at a fixed price in the card’s book. A resting bid ' +
          `at or above the price buys them at once, at the bid's price.${idem}`,
        headers: IdempotencyHeaders,
        body: CreateListingBody,
        response: { 201: Listing },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await marketplace.createListing(tx, userId, request.body),
      }));
    },
  );

  app.put(
    '/api/marketplace/listings/:id',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Change your listing',
        description:
          'A lower quantity keeps its place in the queue and returns the surplus cards; a higher one escrows ' +
          'more and goes to the back; a new price goes to the back and may sell at once to resting bids. ' +
          `Another user's listing answers 404; a sold-out or cancelled one 409.${idem}`,
        headers: IdempotencyHeaders,
        params: ListingIdParams,
        body: UpdateListingBody,
        response: { 200: Listing },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 200,
        body: await marketplace.updateListing(tx, userId, request.params.id, request.body),
      }));
    },
  );

  app.delete(
    '/api/marketplace/listings/:id',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Withdraw your listing',
        description: `Returns the unsold cards from escrow. Another user's listing answers 404.${idem}`,
        headers: IdempotencyHeaders,
        params: ListingIdParams,
        response: { 200: Listing },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 200,
        body: await marketplace.cancelListing(tx, userId, request.params.id),
      }));
    },
  );

  app.post(
    '/api/marketplace/purchase',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Buy from a listing',
        description:
          'Buys cards of that listing at its price, all or part of what it offers. The price and the fee are ' +
          `taken from your wallet in one settlement; without enough coins nothing happens.${idem}`,
        headers: IdempotencyHeaders,
        body: PurchaseBody,
        response: { 201: PurchaseReply },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const { listingId, quantity } = request.body;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await marketplace.purchase(tx, userId, listingId, quantity),
      }));
    },
  );

  app.get(
    '/api/marketplace/price-suggestion/:cardId',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Suggested listing price',
        description:
          'The median of the card variant’s recent trades, or its rarity floor when there are fewer than 5, ' +
          'saying which, over how many trades and how old the oldest is.',
        params: VariantParams,
        response: { 200: SuggestionReply },
      },
    },
    async (request) => marketplace.priceSuggestion(db, request.params.cardId),
  );
};
