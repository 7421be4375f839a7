import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { originOf } from '../../../platform/audit/index.ts';
import { withTransaction } from '../../../platform/db/tx.ts';
import type { PlatformContext } from '../../../platform/module.ts';
import { ledgerDeps } from '../deps.ts';
import { guard, principalOf } from '../ports.ts';
import {
  Destination,
  DestinationBody,
  DestinationList,
  IdParams,
  Payment,
  PayoutsPage,
  PayoutsQuery,
  RejectBody,
} from '../schemas.ts';
import { approvePayout, listPayouts, rejectPayout } from './payout-review.ts';
import { OPEN_POLICY, addDestination, listDestinations, removeDestination } from './payouts.ts';

const security = [{ bearerAuth: [] }];
const NoContent = { 204: Type.Null({ description: 'Removed' }) };
const Decision = Type.Object({ payment: Payment });
const reviewer = guard({ permission: 'payouts.review' });

/**
 * `/api/wallet/payout-destinations` (a user's own payout destinations) and `/api/admin/payouts`
 * (the review queue). Destination details go in once and never come back out: replies and audit
 * rows carry the last four characters only.
 */
export const payoutRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db } = ctx;
  const policy = ledgerDeps(ctx).payments.payoutPolicy ?? OPEN_POLICY;

  app.post(
    '/api/wallet/payout-destinations',
    {
      ...guard('verified'),
      schema: {
        tags: ['wallet'],
        security,
        summary: 'Add a payout destination',
        description:
          'A Stripe Connect account (`accountId`, `acct_…`) or a bank account (`holderName` with an `iban`, or with ' +
          '`accountNumber` and `routingNumber`). The details are stored encrypted and never shown again; the ' +
          'destination receives its first payout only after `usableFrom`. Needs a verified email.',
        body: DestinationBody,
        response: { 201: Destination },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const created = await withTransaction(db, (tx) =>
        addDestination(tx, policy, userId, request.body, originOf(request)),
      );
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api/wallet/payout-destinations',
    {
      ...guard('user'),
      schema: {
        tags: ['wallet'],
        security,
        summary: 'Your payout destinations',
        description: 'Newest first, masked to their last four characters.',
        response: { 200: DestinationList },
      },
    },
    async (request) => listDestinations(db, policy, principalOf(request).userId),
  );

  app.delete(
    '/api/wallet/payout-destinations/:id',
    {
      ...guard('user'),
      schema: {
        tags: ['wallet'],
        security,
        summary: 'Remove a payout destination',
        description:
          'No new withdrawal can use it; payouts already requested to it go ahead. Only your own (else 404).',
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      await withTransaction(db, (tx) => removeDestination(tx, userId, request.params.id, originOf(request)));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/admin/payouts',
    {
      ...reviewer,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Payouts by status (the review queue)',
        description: 'Oldest first. `status=review` (the default) lists withdrawals waiting for a decision.',
        querystring: PayoutsQuery,
        response: { 200: PayoutsPage },
      },
    },
    async (request) => listPayouts(db, request.query),
  );

  app.post(
    '/api/admin/payouts/:id/approve',
    {
      ...reviewer,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Approve a payout in review',
        description:
          'The payment provider is asked for the payout once the decision is recorded. Audited. A payout that is ' +
          'not in review (another admin decided first) is refused with 409 `payout_not_in_review`.',
        params: IdParams,
        response: { 200: Decision },
      },
    },
    async (request) => {
      const adminId = principalOf(request).userId;
      return withTransaction(db, (tx) => approvePayout(tx, adminId, request.params.id, originOf(request)));
    },
  );

  app.post(
    '/api/admin/payouts/:id/reject',
    {
      ...reviewer,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Reject a payout in review',
        description:
          'The held coins return to the user, who is notified; the reason is kept with the payout. Audited. ' +
          'A payout not in review is refused with 409 `payout_not_in_review`.',
        params: IdParams,
        body: RejectBody,
        response: { 200: Decision },
      },
    },
    async (request) => {
      const adminId = principalOf(request).userId;
      const { reason } = request.body;
      return withTransaction(db, (tx) => rejectPayout(tx, adminId, request.params.id, reason, originOf(request)));
    },
  );
};
