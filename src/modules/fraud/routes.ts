import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { originOf } from '../../platform/audit/index.ts';
import { decodeIdCursor, encodeIdCursor } from '../../platform/http/cursor.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { guard, principalOf } from './ports.ts';
import { Flag, FlagPage, FlagParams, FlagsQuery, ResolveBody } from './schemas.ts';
import * as fraud from './service.ts';
import { flagView } from './views.ts';

const tags = ['admin'];
const security = [{ bearerAuth: [] }];
const reviewer = guard({ permission: 'fraud.review' });

/** `/api/admin/fraud/*`: flags raised by the fraud screens, for moderators and admins. */
export const fraudRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db } = ctx;

  app.get(
    '/api/admin/fraud/flags',
    {
      ...reviewer,
      schema: {
        tags,
        security,
        summary: 'Fraud flags',
        description:
          'Trades the fraud screens matched (wash trading, high-value transfers with new accounts, trade velocity, ' +
          'prices far from the market), newest first, with the holds they placed. Filter by status (default open), ' +
          'rule and user.',
        querystring: FlagsQuery,
        response: { 200: FlagPage },
      },
    },
    async (request) => {
      const q = request.query;
      const before = decodeIdCursor(q.cursor);
      const { flags, holds } = await fraud.listFlags(db, {
        status: q.status,
        limit: q.limit,
        ...(q.rule ? { rule: q.rule } : {}),
        ...(q.user ? { userId: q.user.toLowerCase() } : {}),
        ...(before ? { before } : {}),
      });
      const items = flags.slice(0, q.limit);
      const last = items.at(-1);
      return {
        items: items.map((f) => flagView(f, holds)),
        nextCursor: flags.length > q.limit && last ? encodeIdCursor(last.id) : null,
      };
    },
  );

  app.post(
    '/api/admin/fraud/flags/:id/resolve',
    {
      ...guard({ permission: 'fraud.resolve' }),
      schema: {
        tags,
        security,
        summary: 'Resolve a fraud flag',
        description:
          '`dismissed`: the trade was fine; its holds are released at once. `confirmed`: the finding stands; ' +
          'holds stay until their release time. A flag is resolved once (a second attempt is 409); an admin ' +
          'who is a party to the flagged trade cannot resolve it (403). Admins only; audited.',
        params: FlagParams,
        body: ResolveBody,
        response: { 200: Flag },
      },
    },
    async (request) => {
      const { flag, holds } = await fraud.resolveFlag(db, {
        id: request.params.id.toLowerCase(),
        outcome: request.body.outcome,
        note: request.body.note,
        actorId: principalOf(request).userId,
        origin: originOf(request),
      });
      return flagView(flag, holds);
    },
  );
};
