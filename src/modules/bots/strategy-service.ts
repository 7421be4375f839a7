import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import type { FieldProblem } from '../../platform/http/errors.ts';
import { InvalidStrategyError, StrategyNotFoundError } from './errors.ts';
import { BOTS_EVENTS } from './events.ts';
import * as repo from './repo.ts';
import { rulesStrategy, validateRules } from './rules.ts';
import type { Sandbox } from './sandbox/sandbox.ts';
import type { PageQuery, StrategyBody, VersionBody } from './schemas.ts';
import type { Strategy } from './strategy.ts';
import type { StrategyKind, StrategyRow, StrategyVersionRow } from './tables.ts';
import { strategyView } from './views.ts';

/*
 * Strategies and their versions. A version is checked before it is stored: a rules document
 * against its schema and meaning (errors name the place inside it), code by compiling it in the
 * sandbox. Versions never change; bots and backtests pin one.
 */

interface Content {
  document: unknown;
  source: string | null;
}

async function checkedContent(
  sandbox: Sandbox,
  kind: StrategyKind,
  input: { document?: unknown; source?: string | undefined },
): Promise<Content> {
  if (kind === 'rules') {
    if (input.source !== undefined) throw invalid('body.source', 'a rules strategy has a document, not source');
    if (input.document === undefined) throw invalid('body.document', 'is required for a rules strategy');
    const checked = validateRules(input.document);
    if (!checked.ok) {
      const errors: FieldProblem[] = checked.errors.map((e) => ({
        field: `body.document${e.path}`,
        message: e.message,
      }));
      throw new InvalidStrategyError('The rules document is not valid', errors);
    }
    return { document: checked.doc, source: null };
  }
  if (input.document !== undefined) throw invalid('body.document', 'a code strategy has source, not a document');
  if (input.source === undefined) throw invalid('body.source', 'is required for a code strategy');
  await compileCheck(sandbox, input.source);
  return { document: null, source: input.source };
}

async function compileCheck(sandbox: Sandbox, source: string): Promise<void> {
  try {
    const compiled = await sandbox.compile(source);
    await compiled.close();
  } catch (err) {
    if (err instanceof Error && 'kind' in err) throw invalid('body.source', err.message);
    throw err;
  }
}

const invalid = (field: string, message: string) =>
  new InvalidStrategyError(`Invalid strategy: ${field}`, [{ field, message }]);

export async function createStrategy(db: Db, sandbox: Sandbox, ownerId: string, body: StrategyBody) {
  const content = await checkedContent(sandbox, body.kind, body);
  const row = await repo.insertStrategy(
    db,
    { id: uuidv7(), ownerId, name: body.name, kind: body.kind, latestVersion: 1 },
    content,
  );
  return strategyView(row, content);
}

export async function addVersion(db: Db, sandbox: Sandbox, ownerId: string, id: string, body: VersionBody) {
  const found = await ownStrategy(db, ownerId, id);
  const content = await checkedContent(sandbox, found.kind, body);
  return withTransaction(db, async (tx) => {
    const row = await repo.addStrategyVersion(tx, id, content);
    if (!row) throw new StrategyNotFoundError();
    await recordEvent(tx, {
      type: BOTS_EVENTS.strategyVersioned,
      aggregateType: 'strategy',
      aggregateId: id,
      payload: { strategyId: id, ownerId, version: row.latestVersion },
    });
    return strategyView(row, content);
  });
}

/** The caller's strategy (another user's is "not found", never "forbidden": ids are not leaked). */
export async function ownStrategy(db: Db, ownerId: string, id: string): Promise<StrategyRow> {
  const row = await repo.findStrategy(db, id);
  if (!row || row.ownerId !== ownerId) throw new StrategyNotFoundError();
  return row;
}

export async function getStrategy(db: Db, ownerId: string, id: string) {
  const row = await ownStrategy(db, ownerId, id);
  const version = await repo.strategyVersion(db, id, row.latestVersion);
  return strategyView(row, version ?? undefined);
}

export async function listStrategies(db: Db, ownerId: string, q: PageQuery) {
  const rows = await repo.strategiesOf(db, ownerId, q.limit + 1, decodeIdCursor(q.cursor));
  return pageById(rows, q.limit, (r) => strategyView(r));
}

/** A pinned version, owned by `ownerId`; 404 when either is missing. */
export async function pinnedVersion(db: Db, ownerId: string, id: string, version?: number) {
  const row = await ownStrategy(db, ownerId, id);
  const wanted = version ?? row.latestVersion;
  const found = await repo.strategyVersion(db, id, wanted);
  if (!found) {
    throw new InvalidStrategyError('No such strategy version', [
      { field: 'body.strategyVersion', message: `strategy ${id} has versions 1 to ${row.latestVersion}` },
    ]);
  }
  return found;
}

/** Turns a stored version into a runnable strategy (code runs in the sandbox). */
export async function loadStrategy(sandbox: Sandbox, version: StrategyVersionRow): Promise<Strategy> {
  if (version.source !== null) {
    const compiled = await sandbox.compile(version.source);
    return { decide: (input) => compiled.call(input), close: () => compiled.close() };
  }
  const checked = validateRules(version.document);
  if (!checked.ok) throw new Error(`stored rules document of ${version.strategyId}@${version.version} is invalid`);
  return rulesStrategy(checked.doc);
}
