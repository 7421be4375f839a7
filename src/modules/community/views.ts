import type { Authors } from './access.ts';
import type { VersionContent } from './ports.ts';
import type { CommentRow, FeedRow, ForkRow, HiddenRow, ReportRow, SharingRow } from './tables.ts';

/* How the community module's rows look in replies: ISO strings for times, authors by username. */

const iso = (d: Date | null) => (d ? d.toISOString() : null);
export const authorView = (authors: Authors, id: string) => authors.get(id) ?? null;

/** The document or the source of a version, for those allowed to read code. */
export function contentView(content: Pick<VersionContent, 'document' | 'source'>) {
  return content.source !== null ? { source: content.source } : { document: content.document };
}

export function sharingView(strategyId: string, row: SharingRow | null) {
  return {
    strategyId,
    visibility: row?.visibility ?? 'private',
    mode: row?.mode ?? 'protected',
    description: row?.description ?? '',
    linkToken: row?.linkToken ?? null,
    updatedAt: iso(row?.updatedAt ?? null),
  };
}

export function forkView(row: ForkRow, authors: Authors) {
  return {
    id: row.id,
    sourceStrategyId: row.sourceStrategyId,
    sourceVersion: row.sourceVersion,
    forkedStrategyId: row.forkedStrategyId,
    forkedBy: authorView(authors, row.forkedBy),
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * A comment as `viewerSees` allows: deleted ones keep their place without text; hidden ones show
 * to their author and moderators as `hidden`, to everyone else as `removed` (no text, no author).
 */
export function commentView(row: CommentRow, authors: Authors, hidden: boolean, viewerSeesHidden: boolean) {
  const base = {
    id: row.id,
    botId: row.botId,
    parentId: row.parentId,
    createdAt: row.createdAt.toISOString(),
    editedAt: iso(row.editedAt),
  };
  if (row.deletedAt) return { ...base, author: null, body: null, state: 'deleted' as const };
  if (hidden && !viewerSeesHidden) return { ...base, author: null, body: null, state: 'removed' as const };
  return {
    ...base,
    author: authorView(authors, row.authorId),
    body: row.body,
    state: hidden ? ('hidden' as const) : ('visible' as const),
  };
}

export function feedView(row: FeedRow, authors: Authors) {
  return {
    id: row.id,
    kind: row.kind,
    actor: authorView(authors, row.actorId),
    strategyId: row.strategyId,
    botId: row.botId,
    data: row.data as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(),
  };
}

export function reportView(row: ReportRow, authors: Authors, targetHidden: boolean) {
  return {
    id: row.id,
    reporter: authorView(authors, row.reporterId),
    targetType: row.targetType,
    targetId: row.targetId,
    reason: row.reason,
    status: row.status,
    targetHidden,
    resolutionNote: row.resolutionNote,
    resolvedAt: iso(row.resolvedAt),
    createdAt: row.createdAt.toISOString(),
  };
}

export const ownReportView = (row: ReportRow) => ({
  id: row.id,
  targetType: row.targetType,
  targetId: row.targetId,
  status: row.status,
  createdAt: row.createdAt.toISOString(),
});

export const hiddenView = (row: HiddenRow) => ({
  targetType: row.targetType,
  targetId: row.targetId,
  reason: row.reason,
  hiddenBy: row.hiddenBy,
  createdAt: row.createdAt.toISOString(),
});
