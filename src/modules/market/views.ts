import type { MarketSettings } from './config-service.ts';
import { DEFAULT_MARKET_SETTINGS } from './config-service.ts';
import { quote } from './engine/index.ts';
import type { OrderRow } from './repo.ts';
import { nullableUnits } from './schemas.ts';
import { orderFees } from './settlement.ts';

/**
 * An order as its owner sees it, with what the full quantity costs the buyer and earns the seller:
 * a buy order under the commission terms it was escrowed with, a sell order under `settings` (the
 * terms a buyer taking it now pays).
 */
export function orderView(o: OrderRow, settings: MarketSettings = DEFAULT_MARKET_SETTINGS) {
  const terms = o.side === 'buy' ? orderFees(o, settings.fees.payer) : settings.fees;
  const q = o.price === null ? null : quote(o.price, o.quantity, terms);
  return {
    id: o.id,
    cardId: o.variantId,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    price: nullableUnits(o.price),
    quantity: o.quantity,
    remaining: o.remaining,
    filledQuantity: o.filledQuantity,
    filledNotional: o.filledNotional,
    feePaid: o.feePaid,
    buyerPays: nullableUnits(q?.buyerPays ?? null),
    sellerReceives: nullableUnits(q?.sellerReceives ?? null),
    status: o.status,
    cancelReason: o.cancelReason,
    expiresAt: o.expiresAt?.toISOString() ?? null,
    createdAt: o.createdAt.toISOString(),
  };
}
