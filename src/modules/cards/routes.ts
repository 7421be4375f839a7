import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PlatformContext } from '../../platform/module.ts';
import { scopedCache } from './cache.ts';
import { installEtags } from './http.ts';
import { databaseName } from './repo.ts';
import { catalogRoutes } from './routes-catalog.ts';
import { collectionRoutes } from './routes-collection.ts';
import { fairnessRoutes } from './routes-fairness.ts';
import { packRoutes } from './routes-packs.ts';
import { cardActivityRoutes } from './routes-upgrades.ts';

/** Every route of the cards module; GET replies carry ETags (see http.ts). */
export const cardsRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.db, cache: scopedCache(ctx.cache, await databaseName(ctx.db)) };
  installEtags(app);
  await app.register(catalogRoutes, { deps });
  await app.register(cardActivityRoutes, { deps });
  await app.register(packRoutes, { deps });
  await app.register(fairnessRoutes, { deps });
  await app.register(collectionRoutes, { deps });
};
