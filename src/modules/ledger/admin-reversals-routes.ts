import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { originOf } from '../../platform/audit/index.ts';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { ledgerDeps } from './deps.ts';
import { guard, principalOf } from './ports.ts';
import { PaymentIdParams, RefundBody, RefundReply } from './schemas.ts';

/** Staff refunds of deposits (refunds made at the provider and disputes arrive as webhooks). */
export const adminReversalRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { refunds } = ledgerDeps(ctx);

  app.post(
    '/api/admin/payments/:id/refund',
    {
      ...guard({ permission: 'payments.refund' }, { idempotent: true }),
      schema: {
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        summary: 'Refund a deposit',
        description:
          'Takes the coins (all that is left to refund, or `amount`) back from the payer at once and asks the payment ' +
          'provider to return the money; if the provider refuses, the coins are given back. Coins already spent are ' +
          'recorded as owed by the user, whose withdrawals and trading are frozen until repaid. Audited with the ' +
          'admin as actor. Send an `Idempotency-Key` header to make retries safe.',
        headers: IdempotencyHeaders,
        params: PaymentIdParams,
        body: RefundBody,
        response: { 201: RefundReply },
      },
    },
    async (request, reply) => {
      const adminId = principalOf(request).userId;
      const { amount, reason } = request.body;
      const input = { ...(amount !== undefined ? { amount: BigInt(amount) } : {}), ...(reason ? { reason } : {}) };
      return runIdempotent(ctx.db, request, reply, async (tx) => ({
        status: 201,
        body: await refunds.refund(tx, request.params.id, input, adminId, originOf(request)),
      }));
    },
  );
};
