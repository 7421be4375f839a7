import type { DomainEvent } from '../../platform/events/index.ts';
import { FACT_TYPES } from './catalogue.ts';
import { BOTS_EVENTS } from './ports.ts';
import type { FactAttrs } from './rules.ts';

/** One fact to record: what happened to one user, keyed by the business object it is about. */
export interface FactInput {
  userId: string;
  /** Stable per business object (an opening, an offer): a second event about it adds nothing. */
  eventId: string;
  type: string;
  attrs: FactAttrs;
  occurredAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The UTC day of an instant, `YYYY-MM-DD`. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/**
 * The facts a domain event contributes (none for events no rule can use, or malformed payloads).
 * Pure: the handlers and the property tests call it the same way.
 */
export function factsOf(
  event: Pick<DomainEvent, 'id' | 'type' | 'aggregateType' | 'aggregateId' | 'payload' | 'createdAt'>,
): FactInput[] {
  const p = event.payload;
  if (!isRecord(p)) return [];
  const at = event.createdAt;
  switch (event.type) {
    case FACT_TYPES.packOpened:
      if (!isUuid(p.userId) || !isUuid(p.openingId)) return [];
      return [
        {
          userId: p.userId,
          eventId: `opening:${p.openingId}`,
          type: FACT_TYPES.packOpened,
          attrs: isUuid(p.packId) ? { packId: p.packId } : {},
          occurredAt: at,
        },
      ];
    case FACT_TYPES.packPurchased:
      if (!isUuid(p.userId) || typeof p.transferId !== 'string') return [];
      return [
        {
          userId: p.userId,
          eventId: `purchase:${p.transferId}`,
          type: FACT_TYPES.packPurchased,
          attrs: isUuid(p.packId) ? { packId: p.packId } : {},
          occurredAt: at,
        },
      ];
    case FACT_TYPES.tradeCompleted: {
      if (!isUuid(p.offerId) || !isUuid(p.proposerId) || !isUuid(p.recipientId)) return [];
      const eventId = `offer:${p.offerId}`;
      return [
        {
          userId: p.proposerId,
          eventId,
          type: FACT_TYPES.tradeCompleted,
          attrs: { partnerId: p.recipientId },
          occurredAt: at,
        },
        {
          userId: p.recipientId,
          eventId,
          type: FACT_TYPES.tradeCompleted,
          attrs: { partnerId: p.proposerId },
          occurredAt: at,
        },
      ];
    }
    case BOTS_EVENTS.publish: {
      // A backtest's final status message: a finished run counts once, however often it is announced.
      const m = p.message;
      if (event.aggregateType !== 'backtest' || !isUuid(p.userId) || !isRecord(m) || m.status !== 'done') return [];
      return [
        {
          userId: p.userId,
          eventId: `backtest:${event.aggregateId}`,
          type: FACT_TYPES.backtestDone,
          attrs: {},
          occurredAt: at,
        },
      ];
    }
    default:
      return [];
  }
}
