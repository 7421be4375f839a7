// Everything the ledger needs from identity, in one place.
export {
  findUserRef,
  guard,
  hasPermission,
  currentRole,
  isEmailVerified,
  principalOf,
  type Access,
} from '../identity/index.ts';
