import { Type } from 'typebox';

const closed = { additionalProperties: false } as const;

export const Notification = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: Type.String(),
  title: Type.String(),
  body: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  read: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const NotificationPage = Type.Object({
  items: Type.Array(Notification),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    unread: Type.Optional(Type.Boolean({ description: 'Only unread notifications' })),
  },
  closed,
);

export const MarkReadBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 100, uniqueItems: true })),
    all: Type.Optional(Type.Boolean({ description: 'Mark every notification read' })),
  },
  { ...closed, minProperties: 1 },
);

export const MarkReadReply = Type.Object({ updated: Type.Integer({ minimum: 0 }) });
export const UnreadCount = Type.Object({ count: Type.Integer({ minimum: 0 }) });
