import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import * as blocking from './block-service.ts';
import type { IdentityDeps } from './deps.ts';
import { guard, principalOf } from './guards.ts';
import { UsernameParams } from './user-schemas.ts';

const tags = ['users'];
const security = [{ bearerAuth: [] }];

const BlockedUser = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  blockedAt: Type.String({ format: 'date-time' }),
});

/** `/api/users/blocks`: the caller's block list. A blocked user cannot send the caller trade offers. */
export const blockRoutes: FastifyPluginAsyncTypebox<{ deps: IdentityDeps }> = async (app, { deps }) => {
  app.get(
    '/api/users/blocks',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Users you blocked',
        response: { 200: Type.Object({ items: Type.Array(BlockedUser) }) },
      },
    },
    async (request) => ({ items: await blocking.listBlocked(deps.db, principalOf(request).userId) }),
  );

  app.put(
    '/api/users/blocks/:username',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Block a user',
        description: 'They can no longer send you trade offers. Blocking twice is the same as once.',
        params: UsernameParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await blocking.block(deps.db, principalOf(request).userId, request.params.username);
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/users/blocks/:username',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Unblock a user',
        params: UsernameParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await blocking.unblock(deps.db, principalOf(request).userId, request.params.username);
      return reply.status(204).send(null);
    },
  );
};
