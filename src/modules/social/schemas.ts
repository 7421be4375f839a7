import { Type, type Static } from 'typebox';
import { MESSAGE_MAX_CHARS, REPORT_REASON_MAX_CHARS } from './message-service.ts';
import { BIO_MAX_CHARS, SHOWCASE_MAX } from './profile-service.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;
const Cursor = Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: 'From the previous page' }));
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });
export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });
const UserRef = Type.Object({ id: Uuid, username: Type.String() });

export const UsernameParams = Type.Object({ username: Username }, closed);
export const IdParams = Type.Object({ id: Uuid }, closed);
export const PageQuery = Type.Object({ limit: Limit, cursor: Cursor }, closed);
export type PageQuery = Static<typeof PageQuery>;

// --- profiles ---

export const ProfilesQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', description: 'Username prefix' }),
    ),
    setId: Type.Optional(Type.String({ format: 'uuid', description: 'Collects this set (holds a card of it)' })),
    wants: Type.Optional(Type.String({ format: 'uuid', description: 'Has this card id on their wishlist' })),
    limit: Limit,
    cursor: Cursor,
  },
  closed,
);

const ProfileSummary = Type.Object({
  username: Type.String(),
  bio: Type.String(),
  memberSince: DateTime,
  setsCollected: Type.Integer(),
  wishlistSize: Type.Integer(),
});
export const ProfilePage = Type.Object({ items: Type.Array(ProfileSummary), nextCursor: Nullable(Type.String()) });

const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private')], {
  description: 'Your collection (and profile): `private` hides you from searches and matches',
});

export const Profile = Type.Object({
  username: Type.String(),
  bio: Type.String(),
  visibility: Visibility,
  memberSince: DateTime,
  showcase: Type.Array(
    Type.Object({
      variantId: Uuid,
      cardId: Uuid,
      name: Type.String(),
      level: Type.Integer(),
      set: Type.String(),
      quantity: Type.Integer(),
    }),
  ),
  badges: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), awardedAt: DateTime })),
  reputation: Type.Object({
    completedTrades: Type.Integer(),
    upheldFlags: Type.Integer({ description: 'Fraud flags staff confirmed against this user' }),
    memberSince: DateTime,
  }),
  followers: Type.Integer(),
  following: Type.Integer(),
});

export const ProfileBody = Type.Object(
  {
    bio: Type.Optional(
      Nullable(Type.String({ maxLength: BIO_MAX_CHARS, description: 'Plain text; control characters are removed' })),
    ),
    showcase: Type.Optional(
      Type.Array(Uuid, {
        maxItems: SHOWCASE_MAX,
        description: `Up to ${SHOWCASE_MAX} variant ids you hold, in display order`,
      }),
    ),
    visibility: Type.Optional(Visibility),
  },
  { ...closed, minProperties: 1 },
);

// --- matching ---

export const MatchBody = Type.Object(
  {
    cardIds: Type.Optional(Type.Array(Uuid, { maxItems: 50, description: 'Only wishes for these cards' })),
    setIds: Type.Optional(Type.Array(Uuid, { maxItems: 20, description: 'Only wishes for cards of these sets' })),
  },
  closed,
);

const MatchLine = Type.Object({
  variantId: Uuid,
  cardId: Uuid,
  quantity: Type.Integer(),
  price: Type.Integer({ description: 'Catalogue price per copy (minor units)' }),
});
const OfferCards = Type.Object({
  cards: Type.Array(Type.Object({ variantId: Uuid, quantity: Type.Integer() })),
  coins: Type.Integer(),
});
const Match = Type.Object({
  partner: UserRef,
  mutual: Type.Integer({ description: 'The smaller of the wishes each side covers' }),
  coverage: Type.Integer({ description: 'Wishes covered on both sides' }),
  value: Type.Integer({ description: 'Catalogue value of the whole swap (minor units)' }),
  give: Type.Array(MatchLine, { description: 'Your spare copies they wish for' }),
  get: Type.Array(MatchLine, { description: 'Their spare copies you wish for' }),
  offer: Type.Object(
    { to: Type.String(), offered: OfferCards, requested: OfferCards },
    { description: 'The swap as a body for `POST /api/trades`' },
  ),
  computedAt: Type.Optional(DateTime),
});
export const MatchResult = Type.Object({ items: Type.Array(Match), computedAt: DateTime });
export const MatchPage = Type.Object({ items: Type.Array(Match), nextCursor: Nullable(Type.String()) });

// --- messages ---

export const MessageBody = Type.Object(
  {
    to: Username,
    body: Type.String({ minLength: 1, maxLength: MESSAGE_MAX_CHARS, description: 'Plain text' }),
  },
  closed,
);

const Message = Type.Object({
  id: Uuid,
  from: UserRef,
  to: UserRef,
  body: Type.String(),
  createdAt: DateTime,
  readAt: Nullable(DateTime),
});
export { Message };

export const MessagesQuery = Type.Object({ with: Type.Optional(Username), limit: Limit, cursor: Cursor }, closed);

const Conversation = Type.Object({ with: UserRef, unread: Type.Integer(), lastMessage: Message });
export const MessagesPage = Type.Union([
  Type.Object({ items: Type.Array(Conversation), nextCursor: Nullable(Type.String()) }),
  Type.Object({ with: UserRef, items: Type.Array(Message), nextCursor: Nullable(Type.String()) }),
]);

export const ReadBody = Type.Object(
  {
    with: Username,
    upTo: Type.Optional(Type.String({ format: 'uuid', description: 'Only up to this message' })),
  },
  closed,
);
export const ReadResult = Type.Object({
  marked: Type.Integer(),
  unread: Type.Integer({ description: 'Your unread messages left, all conversations' }),
});

export const ReportBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: REPORT_REASON_MAX_CHARS }) },
  closed,
);
const ReportStatus = Type.Union([Type.Literal('open'), Type.Literal('upheld'), Type.Literal('dismissed')]);
export const MessageReport = Type.Object({
  id: Uuid,
  messageId: Uuid,
  reason: Type.String(),
  status: ReportStatus,
  createdAt: DateTime,
  resolvedAt: Nullable(DateTime),
});
export const ReportsQuery = Type.Object({ status: Type.Optional(ReportStatus), limit: Limit, cursor: Cursor }, closed);
export const ReportPage = Type.Object({
  items: Type.Array(Type.Object({ ...MessageReport.properties, message: Message })),
  nextCursor: Nullable(Type.String()),
});
export const ResolveBody = Type.Object(
  { outcome: Type.Union([Type.Literal('upheld'), Type.Literal('dismissed')]) },
  closed,
);

// --- follows ---

export const FollowBody = Type.Object({ username: Username }, closed);
export const FollowState = Type.Object({
  username: Type.String(),
  following: Type.Boolean(),
  followers: Type.Integer({ description: 'Their follower count now' }),
});
export const FollowPage = Type.Object({
  items: Type.Array(Type.Object({ id: Uuid, username: Type.String(), since: DateTime })),
  nextCursor: Nullable(Type.String()),
});
