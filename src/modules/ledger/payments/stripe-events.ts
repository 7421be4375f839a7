import type Stripe from 'stripe';
import type { ProviderEvent, ProviderEventType } from './provider.ts';

/** What mapping needs from the provider: its currency, its mode and the price of a coin. */
export interface StripeAmounts {
  currency: string;
  /** Live keys act on live events only, test keys on test events only. */
  livemode: boolean;
  /** Currency minor units to coin minor units; throws when the currency is not ours. */
  toCoins(amount: number | null | undefined, currency: string | null | undefined): bigint;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Our payment id, from the metadata every object we create carries. */
function ourPaymentId(...candidates: (string | null | undefined)[]): string | undefined {
  return candidates.find((c): c is string => typeof c === 'string' && UUID.test(c));
}

const idOf = (ref: string | { id: string } | null | undefined): string | undefined =>
  typeof ref === 'string' ? ref : ref?.id;

/**
 * A verified Stripe event reduced to what the wallet acts on, or null when the wallet has no use
 * for it (another event type, an object we did not create, an in-between state).
 */
export function mapStripeEvent(event: Stripe.Event, amounts: StripeAmounts): ProviderEvent | null {
  if (event.livemode !== amounts.livemode) return null;
  const base = { eventId: event.id };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const s = event.data.object;
      const paymentId = ourPaymentId(s.metadata?.paymentId, s.client_reference_id);
      if (!paymentId || s.mode !== 'payment') return null;
      const paymentIntent = idOf(s.payment_intent);
      const common = {
        ...base,
        providerPaymentId: s.id,
        paymentId,
        ...(paymentIntent ? { providerReference: paymentIntent } : {}),
      };
      if (event.type === 'checkout.session.expired' || event.type === 'checkout.session.async_payment_failed') {
        const reason = event.type === 'checkout.session.expired' ? 'checkout_expired' : 'payment_failed';
        return { ...common, type: 'deposit.failed', reason };
      }
      // Delayed methods (bank debits) complete the checkout unpaid; their outcome follows as async_payment_*.
      if (s.payment_status !== 'paid') return null;
      return { ...common, type: 'deposit.succeeded', amount: amounts.toCoins(s.amount_total, s.currency) };
    }
    case 'payment_intent.succeeded': {
      const pi = event.data.object;
      const paymentId = ourPaymentId(pi.metadata?.paymentId);
      if (!paymentId) return null;
      return {
        ...base,
        type: 'deposit.succeeded',
        providerPaymentId: pi.id,
        paymentId,
        providerReference: pi.id,
        amount: amounts.toCoins(pi.amount_received, pi.currency),
      };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const paymentIntent = idOf(charge.payment_intent);
      if (!paymentIntent) return null;
      // `amount_refunded` is the running total: this event's part is what it adds to the previous one.
      const previous = (event.data.previous_attributes as { amount_refunded?: number } | undefined)?.amount_refunded;
      const refunded = charge.amount_refunded - (typeof previous === 'number' ? previous : 0);
      if (refunded <= 0) return null;
      // A refund we asked for carries our refund id; the charge lists its refunds when Stripe includes them.
      const ours = charge.refunds?.data.find((r) => r.amount === refunded && ourPaymentId(r.metadata?.refundId));
      const refundId = ourPaymentId(ours?.metadata?.refundId);
      return {
        ...base,
        type: 'deposit.refunded',
        providerPaymentId: paymentIntent,
        ...withPaymentId(charge.metadata?.paymentId),
        ...(refundId ? { refundId } : {}),
        amount: amounts.toCoins(refunded, charge.currency),
      };
    }
    case 'charge.dispute.created':
    case 'charge.dispute.closed': {
      const dispute = event.data.object;
      const paymentIntent = idOf(dispute.payment_intent);
      let type: ProviderEventType;
      if (event.type === 'charge.dispute.created') type = 'dispute.opened';
      else if (dispute.status === 'won') type = 'dispute.won';
      else if (dispute.status === 'lost') type = 'dispute.lost';
      else return null; // inquiries closed without a chargeback move no money
      if (!paymentIntent) return null;
      return {
        ...base,
        type,
        providerPaymentId: paymentIntent,
        disputeId: dispute.id,
        amount: amounts.toCoins(dispute.amount, dispute.currency),
        reason: dispute.reason.slice(0, 200),
      };
    }
    case 'transfer.created':
    case 'transfer.reversed': {
      const transfer = event.data.object;
      const paymentId = ourPaymentId(transfer.metadata?.paymentId);
      if (!paymentId) return null;
      const common = { ...base, providerPaymentId: transfer.id, paymentId };
      if (event.type === 'transfer.created') {
        return { ...common, type: 'payout.succeeded', amount: amounts.toCoins(transfer.amount, transfer.currency) };
      }
      // Only a full reversal undoes the payout; a partial one is for an operator to look at.
      if (transfer.amount_reversed < transfer.amount) return null;
      return { ...common, type: 'payout.failed', reason: 'transfer_reversed' };
    }
    default:
      return null;
  }
}

function withPaymentId(candidate: string | undefined): { paymentId?: string } {
  const paymentId = ourPaymentId(candidate);
  return paymentId ? { paymentId } : {};
}
