import type { Db } from '../../../platform/db/tx.ts';
import { ConflictError, NotFoundError } from '../../../platform/http/errors.ts';
import * as repo from './repo.ts';
import type { Payments } from './service.ts';

/**
 * Where our checkout link for a deposit forwards the payer (a provider whose checkout page is
 * known only once it has registered the deposit). The link is handed out before registration, so
 * a payer quicker than the outbox registers the deposit here; registering twice is harmless.
 */
export async function checkoutTarget(db: Db, payments: Payments, provider: string, paymentId: string): Promise<string> {
  let payment = await repo.getPayment(db, paymentId);
  if (!payment || payment.provider !== provider || payment.direction !== 'deposit') throw new NotFoundError('Checkout');
  if (payment.status === 'pending' && payment.providerCheckoutUrl === null) {
    await payments.register(paymentId);
    payment = (await repo.getPayment(db, paymentId)) ?? payment;
  }
  if (payment.status !== 'pending' || payment.providerCheckoutUrl === null) {
    throw new ConflictError('checkout_closed', 'This deposit is no longer open for payment');
  }
  return payment.providerCheckoutUrl;
}
