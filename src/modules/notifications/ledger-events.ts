import { withTransaction } from '../../platform/db/tx.ts';
import type { DomainEvent } from '../../platform/events/index.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { findUserRef } from '../identity/index.ts';
import { PAYMENT_EVENTS, WALLET_EVENTS } from '../ledger/index.ts';
import { notify, type NotifyInput } from './service.ts';

interface TransferReceived {
  userId: string;
  fromUserId: string;
  transferId: string;
  asset: string;
  amount: string;
  memo: string | null;
}

interface PaymentSettled {
  userId: string;
  paymentId: string;
  direction: 'deposit' | 'payout';
  status: 'succeeded' | 'failed';
  amount: string;
}

/** Minor units as coins, `1250` → `12.50`. */
function formatCoins(units: string): string {
  const n = BigInt(units);
  return `${n / 100n}.${String(n % 100n).padStart(2, '0')}`;
}

async function transferNotice(ctx: PlatformContext, p: TransferReceived): Promise<NotifyInput> {
  const sender = await findUserRef(ctx.db, p.fromUserId);
  const from = sender ? `@${sender.username}` : 'a user';
  return {
    userId: p.userId,
    type: WALLET_EVENTS.transferReceived,
    title: `You received ${formatCoins(p.amount)} coins`,
    body: p.memo ? `From ${from}: ${p.memo}` : `From ${from}.`,
    data: { transferId: p.transferId, fromUserId: p.fromUserId, asset: p.asset, amount: p.amount },
  };
}

function paymentNotice(p: PaymentSettled): NotifyInput {
  const what = p.direction === 'deposit' ? 'Deposit' : 'Withdrawal';
  const coins = formatCoins(p.amount);
  const outcome =
    p.status === 'succeeded'
      ? p.direction === 'deposit'
        ? 'The coins are in your wallet.'
        : 'The payout is on its way.'
      : p.direction === 'deposit'
        ? 'Nothing was charged.'
        : 'The coins are back in your wallet.';
  return {
    userId: p.userId,
    type: PAYMENT_EVENTS.settled,
    title: `${what} of ${coins} coins ${p.status === 'succeeded' ? 'completed' : 'failed'}`,
    body: outcome,
    data: { paymentId: p.paymentId, direction: p.direction, status: p.status, amount: p.amount },
  };
}

/**
 * Turns the ledger's wallet events into stored notifications. The event id is the notification
 * id, so an event delivered twice notifies once.
 */
export function registerLedgerNotifications(ctx: PlatformContext): void {
  const deliver = (build: (event: DomainEvent) => Promise<NotifyInput>) => async (event: DomainEvent) => {
    const input = await build(event);
    await withTransaction(ctx.db, (tx) => notify(tx, input, { id: event.id }));
  };
  ctx.events.on(
    WALLET_EVENTS.transferReceived,
    'notifications.wallet_transfer',
    deliver((event) => transferNotice(ctx, event.payload as TransferReceived)),
  );
  ctx.events.on(
    PAYMENT_EVENTS.settled,
    'notifications.wallet_payment',
    deliver(async (event) => paymentNotice(event.payload as PaymentSettled)),
  );
}
