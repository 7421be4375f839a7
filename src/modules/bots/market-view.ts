import type { Db } from '../../platform/db/tx.ts';
import { UnknownCardsError } from './errors.ts';
import { findVariantRef, type MarketSettings } from './ports.ts';
import type { FeeTerms } from './simulator.ts';

/** The exchange's commission as the simulator applies it (numbers; the exchange keeps bigint). */
export function feeTerms(settings: MarketSettings): FeeTerms {
  return {
    rateBps: Number(settings.fees.rateBps),
    minimumFee: Number(settings.fees.minimumFee),
    payer: settings.fees.payer,
  };
}

/** Every card must exist; the errors name each unknown one by its place in the body. */
export async function checkCards(db: Db, variantIds: readonly string[], field = 'body.variantIds'): Promise<void> {
  const problems = [];
  for (const [i, id] of variantIds.entries()) {
    const found = await findVariantRef(db, id);
    if (!found || found.id !== id.toLowerCase())
      problems.push({ field: `${field}/${i}`, message: `card ${id} does not exist` });
  }
  if (problems.length > 0) throw new UnknownCardsError(problems);
}
