import type { FlagRow, HoldRow } from './tables.ts';

export const holdView = (h: HoldRow) => ({
  id: h.id,
  userId: h.userId,
  reason: h.reason,
  amounts: h.amounts.map((a) => ({ asset: a.asset, amount: Number(a.amount) })),
  releaseAt: h.releaseAt.toISOString(),
  releasedAt: h.releasedAt ? h.releasedAt.toISOString() : null,
});

export const flagView = (f: FlagRow, holds: HoldRow[]) => ({
  id: f.id,
  rule: f.rule,
  severity: f.severity,
  userIds: f.userIds,
  variantId: f.variantId,
  reference: f.reference,
  details: f.details,
  status: f.status,
  createdAt: f.createdAt.toISOString(),
  resolvedAt: f.resolvedAt ? f.resolvedAt.toISOString() : null,
  resolvedBy: f.resolvedBy,
  outcome: f.outcome,
  note: f.note,
  holds: holds.filter((h) => h.flagId === f.id).map(holdView),
});
