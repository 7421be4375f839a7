import type { ModuleDefinition } from '../../platform/module.ts';
import { marketplaceRoutes } from './routes.ts';

/*
 * The marketplace: fixed-price listings of cards. A listing is a resting sell order in the card's
 * exchange book, so listings and exchange orders meet in one book with one escrow, one fee schedule
 * and one set of market data.
 */
export { RARITY_FLOOR, rarityFloor } from './service.ts';

export const marketplaceModule: ModuleDefinition = {
  name: 'marketplace',
  routes: marketplaceRoutes,
};
