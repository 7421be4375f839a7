// Everything the social module needs from other modules, in one place.

export {
  currentRole,
  findUserRef,
  guard,
  hasBlocked,
  IDENTITY_EVENTS,
  hasPermission,
  identityBlocks,
  identityDeps,
  identityUsers,
  principalOf,
  updateProfile,
  type ProfileInput,
} from '../identity/index.ts';
export {
  CARDS_EVENTS,
  cardHoldings,
  cardSets,
  cardVariants,
  cards,
  cardsWishlist,
  catalogPrices,
} from '../cards/index.ts';
export { ledgerBalances, ledgerEntries } from '../ledger/index.ts';
export { communityFollows, followUser, unfollowUser } from '../community/index.ts';
export { tradeOffers } from '../trades/index.ts';
export { fraudFlags } from '../fraud/index.ts';
export { notify } from '../notifications/index.ts';
export { badgesOfUsers } from '../rewards/index.ts';
