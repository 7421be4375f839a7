import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appendAudit, listAudit, originOf } from '../../platform/audit/index.ts';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { ledgerDeps } from './deps.ts';
import { guard, principalOf } from './ports.ts';
import { reconcile } from './reconcile.ts';
import {
  AuditPage,
  AuditQuery,
  PaymentIdParams,
  ReconcileReply,
  SettleBody,
  WebhookReply,
  Payment,
} from './schemas.ts';
import { Type } from 'typebox';

const tags = ['admin'];
const security = [{ bearerAuth: [] }];
const auditor = guard({ permission: 'ledger.audit' });

/** Ledger operations for staff: reconciliation, the audit log, settling sandbox payments. */
export const adminRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const deps = ledgerDeps(ctx);
  const { db } = ctx;

  app.get(
    '/api/admin/ledger/reconcile',
    {
      ...auditor,
      schema: {
        tags,
        security,
        summary: 'Reconcile the ledger',
        description:
          'Checks, on one snapshot, that every asset sums to zero, every balance equals its entries, no user or ' +
          'escrow balance is negative, held amounts match pending transfers and every transfer is fully written.',
        response: { 200: ReconcileReply },
      },
    },
    async (request) => {
      const report = await reconcile(db);
      deps.gauges.record(report);
      await appendAudit(db, {
        actor: { type: 'user', id: principalOf(request).userId },
        action: 'admin.ledger.reconcile',
        target: { type: 'ledger', id: 'books' },
        origin: originOf(request),
        details: { ok: report.ok, counts: report.counts },
      });
      return { ...report, checkedAt: report.checkedAt.toISOString() };
    },
  );

  app.get(
    '/api/admin/audit',
    {
      ...auditor,
      schema: {
        tags,
        security,
        summary: 'The audit log',
        description: 'Newest first; filter by actor, action, target and time. Reading it is itself audited.',
        querystring: AuditQuery,
        response: { 200: AuditPage },
      },
    },
    async (request) => {
      const q = request.query;
      const before = decodeCursor(q.cursor, readAuditCursor);
      const rows = await listAudit(db, {
        limit: q.limit + 1,
        ...(q.actor ? { actorId: q.actor } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.targetType ? { targetType: q.targetType } : {}),
        ...(q.target ? { targetId: q.target } : {}),
        ...(q.from ? { from: new Date(q.from) } : {}),
        ...(q.to ? { to: new Date(q.to) } : {}),
        ...(before !== undefined ? { before } : {}),
      });
      await appendAudit(db, {
        actor: { type: 'user', id: principalOf(request).userId },
        action: 'admin.audit.read',
        target: { type: 'audit', id: 'log' },
        origin: originOf(request),
        details: { filter: q },
      });
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return {
        items: items.map((r) => ({ ...r, id: r.id.toString(), occurredAt: r.occurredAt.toISOString() })),
        nextCursor: rows.length > q.limit && last ? encodeCursor([last.id.toString()]) : null,
      };
    },
  );

  app.post(
    '/api/admin/payments/:id/settle',
    {
      ...guard({ permission: 'payments.settle' }),
      schema: {
        tags,
        security,
        summary: 'Complete or fail a test payment',
        description:
          'Makes a test provider (the sandbox) send the signed webhook it would send when the payment succeeds or ' +
          'fails; the webhook then settles the payment like any other. Audited.',
        params: PaymentIdParams,
        body: SettleBody,
        response: { 200: Type.Object({ outcome: WebhookReply.properties.outcome, payment: Payment }) },
      },
    },
    async (request) =>
      deps.payments.simulate(request.params.id, request.body.outcome, principalOf(request).userId, originOf(request)),
  );
};

const MAX_BIGINT = 2n ** 63n - 1n;

/** The audit log pages by its bigint id, carried as a decimal string inside the opaque cursor. */
function readAuditCursor(raw: unknown): bigint | undefined {
  if (!Array.isArray(raw) || raw.length !== 1 || typeof raw[0] !== 'string' || !/^[0-9]{1,19}$/.test(raw[0])) {
    return undefined;
  }
  const id = BigInt(raw[0]);
  return id <= MAX_BIGINT ? id : undefined;
}
