import { Type, type Static } from 'typebox';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password.ts';
import { PERMISSIONS, type Permission as PermissionName } from './permissions.ts';
import { ROLES } from './tables.ts';

const closed = { additionalProperties: false } as const;
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254, example: 'ada@example.com' });
export const Username = Type.String({
  minLength: 3,
  maxLength: 24,
  pattern: '^[A-Za-z0-9_]+$',
  description: '3 to 24 letters, digits or underscores; unique regardless of case',
  example: 'ada_l',
});
export const NewPassword = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters; common or easily guessed passwords are refused`,
});
/** A password being checked, not set: any length up to the maximum. */
export const CurrentPassword = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
export const OpaqueToken = Type.String({ minLength: 16, maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' });
export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid }, closed);
export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  closed,
);
export const Page = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const Role = Type.Enum(ROLES);
export const Permission = Type.Enum(Object.keys(PERMISSIONS) as PermissionName[]);
export const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private')]);

export const Me = Type.Object({
  id: Uuid,
  email: Type.String(),
  username: Type.String(),
  displayName: Nullable(Type.String()),
  bio: Nullable(Type.String()),
  avatarUrl: Nullable(Type.String()),
  collectionVisibility: Visibility,
  role: Role,
  permissions: Type.Array(Permission),
  emailVerified: Type.Boolean(),
  createdAt: DateTime,
});

export const ClientKind = Type.Union([Type.Literal('browser'), Type.Literal('app')], {
  default: 'app',
  description:
    '`browser`: the refresh token is set as an httpOnly `__Host-ece_refresh` cookie (with a readable ' +
    '`__Host-ece_csrf` cookie) and left out of the body. `app` (default): the refresh token is in the body.',
});

export const RegisterBody = Type.Object({ email: Email, username: Username, password: NewPassword }, closed);
export const Accepted = Type.Object({
  status: Type.Literal('accepted'),
  message: Type.String(),
});
export type AcceptedReply = Static<typeof Accepted>;

export const LoginBody = Type.Object(
  { email: Email, password: CurrentPassword, client: Type.Optional(ClientKind) },
  closed,
);

export const TokenReply = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  refreshToken: Type.Optional(Type.String({ description: 'Only for `app` clients' })),
  refreshTokenExpiresAt: DateTime,
  csrfToken: Type.Optional(
    Type.String({ description: 'Only for `browser` clients: send it as `x-csrf-token` to refresh and logout' }),
  ),
  sessionId: Uuid,
  user: Me,
});

export const RefreshBody = Type.Object(
  {
    refreshToken: Type.Optional(
      Type.String({ minLength: 16, maxLength: 512, description: 'Apps send it here; browsers rely on the cookie' }),
    ),
  },
  closed,
);

export const Session = Type.Object({
  id: Uuid,
  client: ClientKind,
  userAgent: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  createdAt: DateTime,
  lastUsedAt: DateTime,
  expiresAt: DateTime,
  current: Type.Boolean({ description: 'The session of the token making this request' }),
});

export const TokenBody = Type.Object({ token: OpaqueToken }, closed);
export const EmailBody = Type.Object({ email: Email }, closed);
export const ResetPasswordBody = Type.Object({ token: OpaqueToken, password: NewPassword }, closed);
export const ChangePasswordBody = Type.Object({ currentPassword: CurrentPassword, newPassword: NewPassword }, closed);
export const Done = Type.Object({ status: Type.Literal('ok') });
