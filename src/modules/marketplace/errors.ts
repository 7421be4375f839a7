/** Marketplace error codes: the listing rules live with the book, the codes are re-exported here. */
export {
  ListingNotFoundError,
  ListingNotOpenError,
  ListingQuantityError,
  ListingUnavailableError,
  NoSellerProceedsError,
  OwnListingError,
  UnknownCardError,
} from '../market/index.ts';
