import { Type } from 'typebox';
import { CurrentPassword, Role, Username, Uuid, Visibility } from './schemas.ts';

const closed = { additionalProperties: false } as const;
const DateTime = Type.String({ format: 'date-time' });
const OrNull = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const ProfileBody = Type.Object(
  {
    username: Type.Optional(Username),
    displayName: Type.Optional(OrNull(Type.String({ minLength: 1, maxLength: 50 }))),
    bio: Type.Optional(OrNull(Type.String({ maxLength: 500 }))),
    avatarUrl: Type.Optional(
      OrNull(Type.String({ format: 'uri', maxLength: 2048, pattern: '^https?://', description: 'http or https' })),
    ),
    collectionVisibility: Type.Optional(Visibility),
  },
  { ...closed, minProperties: 1 },
);

export const PublicProfile = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: OrNull(Type.String()),
  bio: OrNull(Type.String()),
  avatarUrl: OrNull(Type.String()),
  collectionVisibility: Visibility,
  createdAt: DateTime,
});

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) }, closed);

const Channels = Type.Object({ inApp: Type.Boolean(), email: Type.Boolean() }, closed);
export const NotificationPrefs = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_.]{0,63}$' }), Channels, {
  ...closed,
  maxProperties: 64,
  description:
    'Per notification type (`trade.offer_received`, …): deliver in the app and/or by email. ' +
    'Types not listed: in the app only.',
});

export const Settings = Type.Object({
  locale: Type.String(),
  timezone: Type.String(),
  notifications: NotificationPrefs,
});

export const SettingsBody = Type.Object(
  {
    locale: Type.Optional(Type.String({ minLength: 2, maxLength: 35, pattern: '^[A-Za-z0-9-]+$', example: 'fr-FR' })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, example: 'Europe/Paris' })),
    notifications: Type.Optional(NotificationPrefs),
  },
  { ...closed, minProperties: 1 },
);

export const ActivityItem = Type.Object({
  id: Uuid,
  type: Type.String(),
  actorId: OrNull(Uuid),
  ip: OrNull(Type.String()),
  userAgent: OrNull(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
  createdAt: DateTime,
});

export const DeleteAccountBody = Type.Object({ password: CurrentPassword }, closed);

export const UserStatus = Type.Union([Type.Literal('active'), Type.Literal('banned'), Type.Literal('deleted')]);

export const AdminUsersQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Part of a username or email' })),
    role: Type.Optional(Role),
    status: Type.Optional(UserStatus),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  closed,
);

export const AdminUser = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: OrNull(Type.String()),
  bio: OrNull(Type.String()),
  avatarUrl: OrNull(Type.String()),
  collectionVisibility: Visibility,
  createdAt: DateTime,
  email: OrNull(Type.String()),
  role: Role,
  status: UserStatus,
  emailVerified: Type.Boolean(),
  bannedAt: OrNull(DateTime),
  banReason: OrNull(Type.String()),
  deletedAt: OrNull(DateTime),
});

export const RoleBody = Type.Object({ role: Role }, closed);
export const BanBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, closed);
