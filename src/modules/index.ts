import type { ModuleDefinition } from '../platform/module.ts';
import { bettingModule } from './betting/index.ts';
import { botsModule } from './bots/index.ts';
import { cardsModule } from './cards/index.ts';
import { communityModule } from './community/index.ts';
import { crowdfundingModule } from './crowdfunding/index.ts';
import { fraudModule } from './fraud/index.ts';
import { identityModule } from './identity/index.ts';
import { leaderboardsModule } from './leaderboards/index.ts';
import { ledgerModule } from './ledger/index.ts';
import { marketModule } from './market/index.ts';
import { marketplaceModule } from './marketplace/index.ts';
import { notificationsModule } from './notifications/index.ts';
import { rewardsModule } from './rewards/index.ts';
import { socialModule } from './social/index.ts';
import { tradesModule } from './trades/index.ts';

/** Every business module, in registration order. */
export const modules: readonly ModuleDefinition[] = [
  identityModule,
  notificationsModule,
  ledgerModule,
  cardsModule,
  tradesModule,
  marketModule,
  fraudModule,
  marketplaceModule,
  botsModule,
  communityModule,
  leaderboardsModule,
  crowdfundingModule,
  bettingModule,
  socialModule,
  rewardsModule,
];
