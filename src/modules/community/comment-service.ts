import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import { authorsOf, seesHidden, visibleBot, type Viewer } from './access.ts';
import {
  BlockedError,
  CommentDeletedError,
  CommentNotFoundError,
  EditWindowClosedError,
  InvalidFieldError,
} from './errors.ts';
import { hasBlocked, notify } from './ports.ts';
import * as repo from './repo.ts';
import { COMMENT_MAX_CHARS, type CommentBody, type TokenPageQuery } from './schemas.ts';
import { plainText } from './text.ts';
import { commentView } from './views.ts';

/*
 * Comments on shared bots: plain text (control characters removed, stored as text, never markup),
 * threaded by a parent on the same bot, editable by their author for a while, deleted softly so a
 * thread keeps its shape. Someone the bot's owner (or a parent comment's author) blocked cannot
 * comment there (or reply to them).
 */

function cleanBody(raw: string, field: string): string {
  const body = plainText(raw);
  if (body.length === 0) throw new InvalidFieldError(field, 'must contain text');
  if (body.length > COMMENT_MAX_CHARS)
    throw new InvalidFieldError(field, `must be at most ${COMMENT_MAX_CHARS} characters`);
  return body;
}

export async function listComments(db: Db, viewer: Viewer, botId: string, q: TokenPageQuery) {
  await visibleBot(db, viewer, botId, q.token);
  const rows = await repo.commentsOf(db, botId, q.limit + 1, decodeIdCursor(q.cursor));
  const hidden = await repo.hiddenAmong(db, [
    ...rows.map((r) => ({ type: 'comment' as const, id: r.id })),
    ...rows.map((r) => ({ type: 'user' as const, id: r.authorId })),
  ]);
  const authors = await authorsOf(
    db,
    rows.map((r) => r.authorId),
  );
  return pageById(rows, q.limit, (r) =>
    commentView(
      r,
      authors,
      hidden.has(`comment:${r.id}`) || hidden.has(`user:${r.authorId}`),
      seesHidden(viewer, r.authorId),
    ),
  );
}

export async function addComment(db: Db, userId: string, botId: string, input: CommentBody, token?: string) {
  const viewer: Viewer = { userId, moderator: false };
  const { bot } = await visibleBot(db, viewer, botId, token);
  const body = cleanBody(input.body, 'body.body');
  if (bot.ownerId !== userId && (await hasBlocked(db, bot.ownerId, userId))) {
    throw new BlockedError("The bot's owner has blocked you");
  }
  const parent = input.parentId ? await repo.findComment(db, input.parentId.toLowerCase()) : null;
  if (input.parentId) {
    if (!parent || parent.botId !== botId) throw new InvalidFieldError('body.parentId', 'is not a comment on this bot');
    if (parent.deletedAt) throw new InvalidFieldError('body.parentId', 'was deleted');
    const hidden = await repo.hiddenAmong(db, [
      { type: 'comment', id: parent.id },
      { type: 'user', id: parent.authorId },
    ]);
    if (hidden.size > 0 && parent.authorId !== userId) {
      throw new InvalidFieldError('body.parentId', 'is not a comment on this bot');
    }
    if (parent.authorId !== userId && (await hasBlocked(db, parent.authorId, userId))) {
      throw new BlockedError('The author of that comment has blocked you');
    }
  }
  return withTransaction(db, async (tx) => {
    const row = await repo.insertComment(tx, {
      id: uuidv7(),
      botId,
      authorId: userId,
      parentId: parent?.id ?? null,
      body,
    });
    const authors = await authorsOf(tx, [userId]);
    if (parent && parent.authorId !== userId) {
      const who = authors.get(userId)?.username ?? 'Someone';
      await notify(tx, {
        userId: parent.authorId,
        type: 'community.comment_reply',
        title: `${who} replied to your comment`,
        body: `${who} replied to your comment on ${bot.name}.`,
        data: { botId, commentId: row.id, parentId: parent.id },
      });
    }
    return commentView(row, authors, false, true);
  });
}

/** The author's own comment, or 404. */
async function ownComment(db: Db, userId: string, id: string) {
  const row = await repo.findComment(db, id);
  if (!row || row.authorId !== userId) throw new CommentNotFoundError();
  return row;
}

export async function editComment(db: Db, userId: string, id: string, raw: string, windowMinutes: number) {
  const found = await ownComment(db, userId, id);
  if (found.deletedAt) throw new CommentDeletedError();
  const body = cleanBody(raw, 'body.body');
  const row = await repo.editComment(db, id, userId, body, new Date(Date.now() - windowMinutes * 60_000));
  if (!row) {
    const now = await repo.findComment(db, id);
    if (now?.deletedAt) throw new CommentDeletedError();
    throw new EditWindowClosedError(windowMinutes);
  }
  const hidden = await repo.hiddenAmong(db, [
    { type: 'comment', id },
    { type: 'user', id: userId },
  ]);
  return commentView(row, await authorsOf(db, [userId]), hidden.size > 0, true);
}

/** Deletes the author's comment (its text goes, its place in the thread stays); repeating is a no-op. */
export async function deleteComment(db: Db, userId: string, id: string): Promise<void> {
  await ownComment(db, userId, id);
  await repo.softDeleteComment(db, id, userId);
}
