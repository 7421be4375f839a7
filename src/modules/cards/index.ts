import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { IDENTITY_EVENTS } from '../identity/index.ts';
import { cardsExporter, eraseCardsData } from './export-data.ts';
import { cardsRoutes } from './routes.ts';
import { demoCatalogSeeder, demoCollectionsSeeder } from './seed.ts';

/*
 * The cards module's face: catalogue, packs, verifiable openings, upgrades and collections. Card
 * ownership is a ledger balance: each variant is a ledger asset (`CARD:<variant id>`), each pack
 * product's sealed pack too (`PACK:<product id>`).
 */
export { CARDS_EVENTS } from './open-service.ts';
export { RARITIES, VARIANTS, variantAssetCode, type Rarity, type Variant } from './rarity.ts';
export { cardHoldings, type Holding } from './holdings.ts';
export { catalogPrices, findVariantRef, setsOfVariants, tradableBaseVariants, variantsOfCard } from './repo.ts';
export { addMinted } from './pack-repo.ts';
/** Read-only: other modules' listing queries join the catalogue (changes go through this module). */
export { cardSets, cardVariants, cards, wishlist as cardsWishlist } from './tables.ts';

export const cardsModule: ModuleDefinition = {
  name: 'cards',
  setup(ctx) {
    registerExporter(ctx, cardsExporter);
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'cards.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (userId) await eraseCardsData(ctx.db, userId);
    });
  },
  routes: cardsRoutes,
  seeds: [demoCatalogSeeder, demoCollectionsSeeder],
};
