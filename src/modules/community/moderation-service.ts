import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import { authorsOf, visibleBot, type Viewer } from './access.ts';
import {
  CommentNotFoundError,
  CommunityUserNotFoundError,
  NotHiddenError,
  ReportClosedError,
  ReportNotFoundError,
  SelfActionError,
  SharedBotNotFoundError,
} from './errors.ts';
import { findBotSummary, findUserRef } from './ports.ts';
import * as repo from './repo.ts';
import type { HideBody, ReportBody, ReportQuery, ResolveBody } from './schemas.ts';
import type { ReportTarget } from './tables.ts';
import { hiddenView, ownReportView, reportView } from './views.ts';

/*
 * Reports and the moderation queue. Anyone reports a comment, bot or user they can see; moderators
 * read the queue, hide or unhide the content and close reports as resolved or dismissed. Hiding
 * is separate from closing a report, so a moderator can act without a report, or dismiss one.
 */

/** Checks the reporter can see the target; returns its author (reporting oneself is refused). */
async function reportableAuthor(db: Db, viewer: Viewer, type: ReportTarget, id: string): Promise<string> {
  if (type === 'user') {
    const user = await findUserRef(db, id);
    if (!user) throw new CommunityUserNotFoundError();
    return user.id;
  }
  if (type === 'bot') return (await visibleBot(db, viewer, id)).bot.ownerId;
  const comment = await repo.findComment(db, id);
  if (!comment || comment.deletedAt) throw new CommentNotFoundError();
  try {
    await visibleBot(db, viewer, comment.botId);
  } catch {
    throw new CommentNotFoundError();
  }
  const hidden = await repo.hiddenAmong(db, [
    { type: 'comment', id },
    { type: 'user', id: comment.authorId },
  ]);
  if (hidden.size > 0 && !viewer.moderator && viewer.userId !== comment.authorId) throw new CommentNotFoundError();
  return comment.authorId;
}

/** Files a report; a second report of the same target while the first is open returns the first. */
export async function fileReport(db: Db, reporterId: string, body: ReportBody) {
  const targetId = body.targetId.toLowerCase();
  const author = await reportableAuthor(db, { userId: reporterId, moderator: false }, body.targetType, targetId);
  if (author === reporterId) throw new SelfActionError('You cannot report your own content', 'body.targetId');
  const created = await repo.insertReport(db, {
    id: uuidv7(),
    reporterId,
    targetType: body.targetType,
    targetId,
    reason: body.reason.trim(),
  });
  if (created) return { created: true, report: ownReportView(created) };
  const existing = await repo.findOpenReport(db, reporterId, body.targetType, targetId);
  if (!existing) throw new ReportNotFoundError();
  return { created: false, report: ownReportView(existing) };
}

export async function listReports(db: Db, q: ReportQuery) {
  const rows = await repo.reportsByStatus(db, q.status, q.limit + 1, decodeIdCursor(q.cursor));
  const hidden = await repo.hiddenAmong(
    db,
    rows.map((r) => ({ type: r.targetType, id: r.targetId })),
  );
  const authors = await authorsOf(
    db,
    rows.map((r) => r.reporterId),
  );
  return pageById(rows, q.limit, (r) => reportView(r, authors, hidden.has(`${r.targetType}:${r.targetId}`)));
}

export async function closeReport(db: Db, moderatorId: string, id: string, body: ResolveBody) {
  const row = await repo.closeReport(db, id, {
    status: body.outcome,
    resolvedBy: moderatorId,
    resolutionNote: body.note?.trim() || null,
  });
  if (!row) {
    const found = await repo.findReport(db, id);
    if (!found) throw new ReportNotFoundError();
    throw new ReportClosedError(found.status);
  }
  const hidden = await repo.hiddenAmong(db, [{ type: row.targetType, id: row.targetId }]);
  return reportView(row, await authorsOf(db, [row.reporterId]), hidden.size > 0);
}

async function assertTargetExists(db: Db, type: ReportTarget, id: string): Promise<void> {
  if (type === 'user' && !(await findUserRef(db, id))) throw new CommunityUserNotFoundError();
  if (type === 'bot' && !(await findBotSummary(db, id))) throw new SharedBotNotFoundError();
  if (type === 'comment' && !(await repo.findComment(db, id))) throw new CommentNotFoundError();
}

/** Hides a comment, a bot or everything of a user; hiding twice keeps the first. */
export async function hideContent(db: Db, moderatorId: string, body: HideBody) {
  const targetId = body.targetId.toLowerCase();
  await assertTargetExists(db, body.targetType, targetId);
  const row = await repo.hide(db, {
    targetType: body.targetType,
    targetId,
    hiddenBy: moderatorId,
    reason: body.reason.trim(),
  });
  return hiddenView(row);
}

export async function unhideContent(db: Db, type: ReportTarget, id: string): Promise<void> {
  if (!(await repo.unhide(db, type, id.toLowerCase()))) throw new NotHiddenError();
}
