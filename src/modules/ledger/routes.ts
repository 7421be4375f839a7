import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { originOf } from '../../platform/audit/index.ts';
import { NotFoundError } from '../../platform/http/errors.ts';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { adminRoutes } from './admin-routes.ts';
import { adminReversalRoutes } from './admin-reversals-routes.ts';
import { ledgerDeps } from './deps.ts';
import { currentRole, guard, hasPermission, principalOf } from './ports.ts';
import { payoutRoutes } from './payments/payout-routes.ts';
import { paymentRoutes } from './payments/routes.ts';
import {
  AmountBody,
  BalanceReply,
  DepositReply,
  IdParams,
  TransactionsPage,
  TransactionsQuery,
  TransferBody,
  TransferDetail,
  TransferReply,
  WithdrawBody,
  WithdrawReply,
} from './schemas.ts';
import * as wallet from './wallet-service.ts';

const tags = ['wallet'];
const security = [{ bearerAuth: [] }];
const moving = guard('verified', { idempotent: true });
const movingDoc = (text: string) =>
  `${text} Send an \`Idempotency-Key\` header to make retries safe. Needs a verified email.`;

/** `/api/wallet/*`: balances, history, transfers between users, deposits and withdrawals. */
export const ledgerRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const deps = ledgerDeps(ctx);
  const { db } = ctx;

  app.get(
    '/api/wallet/balance',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your coin balance',
        description: 'Available, held (reserved by pending transfers) and total, in minor units (1 coin = 100).',
        response: { 200: BalanceReply },
      },
    },
    async (request) => ({ balances: [await wallet.coinBalance(db, principalOf(request).userId)] }),
  );

  app.get(
    '/api/wallet/transactions',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your wallet history',
        description:
          'Transfers that changed your balances, newest first; amounts are signed from your point of view and ' +
          '`balanceAfter` is your available balance after each one. Filter by kind, asset and time range.',
        querystring: TransactionsQuery,
        response: { 200: TransactionsPage },
      },
    },
    async (request) => wallet.walletHistory(db, principalOf(request).userId, request.query),
  );

  app.get(
    '/api/wallet/transaction/:id',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'One transfer with its legs',
        description: 'Only for a party to the transfer (or an auditor); anyone else gets 404.',
        params: IdParams,
        response: { 200: TransferDetail },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const readAny = hasPermission(currentRole(principal), 'ledger.audit');
      const found = await wallet.transferForUser(db, principal.userId, request.params.id, readAny);
      if (!found) throw new NotFoundError('Transfer');
      return found;
    },
  );

  app.post(
    '/api/wallet/transfer',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Send coins to a user',
        description: movingDoc('Sends coins to another user; the recipient is notified.'),
        headers: IdempotencyHeaders,
        body: TransferBody,
        response: { 201: TransferReply },
      },
    },
    async (request, reply) => {
      const { to, amount, memo } = request.body;
      const senderId = principalOf(request).userId;
      const origin = originOf(request);
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await wallet.sendCoins(tx, deps.limits, { senderId, to, amount: BigInt(amount), memo, origin }),
      }));
    },
  );

  app.post(
    '/api/wallet/deposit',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Start a deposit',
        description: movingDoc(
          'Opens a payment and returns its checkout link; the payment provider registers it right after. Coins ' +
            'are credited when the provider confirms it; only completed deposits count against the daily limit.',
        ),
        headers: IdempotencyHeaders,
        body: AmountBody,
        response: { 201: DepositReply },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const origin = originOf(request);
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await deps.payments.deposit(tx, userId, BigInt(request.body.amount), origin),
      }));
    },
  );

  app.post(
    '/api/wallet/withdraw',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Withdraw coins',
        description: movingDoc(
          'Holds the amount and asks the payment provider for a payout to `destinationId`: its confirmation ' +
            'completes the withdrawal, a failure returns the coins. Above the review threshold the payout waits ' +
            '(status `review`) for an admin. Refused: a destination added too recently ' +
            '(`payout_destination_cooling_down`), too many withdrawals today (`payout_count_exceeded`).',
        ),
        headers: IdempotencyHeaders,
        body: WithdrawBody,
        response: { 201: WithdrawReply },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const origin = originOf(request);
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await deps.payments.withdraw(tx, userId, BigInt(request.body.amount), origin, request.body.destinationId),
      }));
    },
  );

  await app.register(paymentRoutes, { ctx });
  await app.register(adminRoutes, { ctx });
  await app.register(adminReversalRoutes, { ctx });
  await app.register(payoutRoutes, { ctx });
};
