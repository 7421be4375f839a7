import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CatalogDeps } from './catalog-service.ts';
import { ClientSeedBody, Commitment, OpeningIdParams, RotateReply, VerifyReply } from './fairness-schemas.ts';
import * as fairness from './fairness-service.ts';
import { personal } from './http.ts';
import { currentRole, guard, hasPermission, principalOf } from './ports.ts';

const tags = ['fairness'];
const security = [{ bearerAuth: [] }];

/** `/api/fairness/*`: the commitment before a draw, the client seed, rotation and verification. */
export const fairnessRoutes: FastifyPluginAsyncTypebox<{ deps: CatalogDeps }> = async (app, { deps }) => {
  app.get(
    '/api/fairness/commitment',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'What your next draws are bound to',
        description:
          'The SHA-256 of your server seed, your client seed and nonce, and per pack product the hash of its exact ' +
          'drop table, your pity counter and the commitment over all of them.',
        response: { 200: Commitment },
      },
    },
    async (request, reply) => {
      personal(reply);
      return fairness.commitment(deps.db, principalOf(request).userId);
    },
  );

  app.put(
    '/api/fairness/client-seed',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Choose your client seed',
        description: 'Used from your next draw on; the server seed stays committed.',
        body: ClientSeedBody,
        response: { 200: Commitment },
      },
    },
    async (request) => fairness.setClientSeed(deps.db, principalOf(request).userId, request.body.clientSeed),
  );

  app.post(
    '/api/fairness/rotate',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Reveal your server seed and start a new one',
        description: 'Every opening and upgrade made with the revealed seed becomes verifiable.',
        response: { 200: RotateReply },
      },
    },
    async (request) => fairness.rotate(deps.db, principalOf(request).userId),
  );

  app.get(
    '/api/fairness/verify/:openingId',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Recompute an opening or upgrade',
        description:
          'Recomputes the draw from the revealed server seed and the stored inputs and compares it with what was ' +
          'recorded. 409 `seed_not_revealed` until you rotate the seed it used.',
        params: OpeningIdParams,
        response: { 200: VerifyReply },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      personal(reply);
      const mayReadAny = hasPermission(currentRole(principal), 'resources.manage_any');
      return fairness.verify(deps.db, principal.userId, request.params.openingId, mayReadAny);
    },
  );
};
