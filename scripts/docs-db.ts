// `npm run docs:db`: writes docs/database.md from the Drizzle schema: every table by module with
// its columns, keys, constraints, indexes and foreign keys, what it is for (the JSDoc comment above
// its definition in `tables.ts`), and a Mermaid ER diagram per module.
// `npm run docs:db -- --check` exits 1 when the committed file is out of date.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SQL, is } from 'drizzle-orm';
import { PgDialect, PgTable, getTableConfig, type AnyPgColumn } from 'drizzle-orm/pg-core';

const ROOT = path.resolve(import.meta.dirname, '..');
export const DOC_PATH = path.join(ROOT, 'docs/database.md');
export const NO_DESCRIPTION = '(no description)';

export interface DocTable {
  /** `platform/events` or `modules/ledger`. */
  area: string;
  name: string;
  description: string | undefined;
  table: PgTable;
}

/** Every `tables.ts` under src/platform and src/modules, in a stable order. */
async function schemaFiles(): Promise<{ area: string; file: string }[]> {
  const found: { area: string; file: string }[] = [];
  for (const top of ['platform', 'modules']) {
    const dir = path.join(ROOT, 'src', top);
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory()) continue;
      const file = path.join(dir, entry.name, 'tables.ts');
      if (
        await readFile(file)
          .then(() => true)
          .catch(() => false)
      )
        found.push({ area: `${top}/${entry.name}`, file });
    }
  }
  return found;
}

/** JSDoc comments directly above `export const x = pgTable(`, by export name, as one line each. */
export function tableComments(source: string): Map<string, string> {
  const comments = new Map<string, string>();
  const re = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export const (\w+)\s*=\s*pgTable\b/g;
  for (const m of source.matchAll(re)) {
    const text = (m[1] as string)
      .split('\n')
      .map((l) => l.replace(/^\s*\*\s?/, '').trim())
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    comments.set(m[2] as string, text);
  }
  return comments;
}

/** The product's tables, grouped by the module (or platform part) that owns them. */
export async function loadTables(): Promise<DocTable[]> {
  const tables: DocTable[] = [];
  for (const { area, file } of await schemaFiles()) {
    const source = await readFile(file, 'utf8');
    const comments = tableComments(source);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const own: (DocTable & { at: number })[] = [];
    for (const [exportName, value] of Object.entries(mod)) {
      if (!is(value, PgTable)) continue;
      const name = getTableConfig(value).name;
      // In the order the file defines them (module namespaces do not keep it).
      const at = source.search(new RegExp(`export const ${exportName}\\s*=\\s*pgTable\\b`));
      own.push({ area, name, description: comments.get(exportName), table: value, at: at < 0 ? Infinity : at });
    }
    own.sort((a, b) => a.at - b.at || a.name.localeCompare(b.name));
    tables.push(...own.map(({ at: _at, ...t }) => t));
  }
  return tables;
}

const dialect = new PgDialect();

/** SQL text of a default, check or index expression, with column references unqualified. */
function sqlText(value: SQL): string {
  const q = dialect.sqlToQuery(value);
  let text = q.sql.replace(/"[a-z0-9_]+"\."([a-z0-9_]+)"/g, '$1').replace(/"([a-z0-9_]+)"/g, '$1');
  q.params.forEach((p, i) => {
    text = text.replace(new RegExp(`\\$${i + 1}(?!\\d)`), typeof p === 'string' ? `'${p}'` : String(p));
  });
  return text;
}

function defaultOf(col: AnyPgColumn): string {
  if (col.default !== undefined) {
    if (is(col.default, SQL)) return sqlText(col.default);
    if (typeof col.default === 'string') return `'${col.default}'`;
    return typeof col.default === 'object' ? JSON.stringify(col.default) : String(col.default);
  }
  if (col.defaultFn) return '(set by the application)';
  return '';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => (s === '' ? '' : `\`${cell(s)}\``);

function renderTable(t: DocTable): string {
  const c = getTableConfig(t.table);
  const lines: string[] = [`### ${c.name}`, '', t.description ?? NO_DESCRIPTION, ''];
  const fkOf = new Map<string, string>();
  for (const fk of c.foreignKeys) {
    const ref = fk.reference();
    ref.columns.forEach((col, i) => {
      fkOf.set(col.name, `${getTableConfig(ref.foreignTable).name}.${ref.foreignColumns[i]?.name ?? '?'}`);
    });
  }
  const pkColumns = new Set(c.primaryKeys.flatMap((pk) => pk.columns.map((col) => col.name)));
  lines.push('| column | type | null | default | key |', '|---|---|---|---|---|');
  for (const col of c.columns) {
    const keys = [
      col.primary || pkColumns.has(col.name) ? 'PK' : '',
      col.isUnique ? 'unique' : '',
      fkOf.has(col.name) ? `FK → ${fkOf.get(col.name)}` : '',
    ].filter(Boolean);
    const type = col.getSQLType() + (col.enumValues?.length ? ` (${col.enumValues.join(', ')})` : '');
    lines.push(
      `| ${col.name} | ${code(type)} | ${col.notNull ? 'not null' : 'null'} | ${code(defaultOf(col))} | ${cell(keys.join(', '))} |`,
    );
  }
  const constraints: string[] = [];
  for (const pk of c.primaryKeys) {
    if (pk.columns.length > 1) constraints.push(`- primary key (${pk.columns.map((x) => x.name).join(', ')})`);
  }
  for (const u of c.uniqueConstraints) {
    constraints.push(`- unique \`${u.getName()}\` (${u.columns.map((x) => x.name).join(', ')})`);
  }
  for (const ch of c.checks) constraints.push(`- check \`${ch.name}\`: ${code(sqlText(ch.value))}`);
  for (const fk of c.foreignKeys) {
    const ref = fk.reference();
    const actions = [fk.onDelete ? `on delete ${fk.onDelete}` : '', fk.onUpdate ? `on update ${fk.onUpdate}` : '']
      .filter((a) => a && a !== 'on delete no action' && a !== 'on update no action')
      .join(', ');
    constraints.push(
      `- foreign key (${ref.columns.map((x) => x.name).join(', ')}) → ` +
        `${getTableConfig(ref.foreignTable).name} (${ref.foreignColumns.map((x) => x.name).join(', ')})` +
        (actions ? `, ${actions}` : ''),
    );
  }
  if (constraints.length > 0) lines.push('', 'Constraints:', '', ...constraints);
  if (c.indexes.length > 0) {
    lines.push('', 'Indexes:', '');
    for (const idx of c.indexes) {
      const cfg = idx.config;
      const cols = cfg.columns
        .map((x) => (is(x, SQL) ? sqlText(x) : ((x as { name?: string }).name ?? '?')))
        .join(', ');
      const where = cfg.where ? ` where ${sqlText(cfg.where)}` : '';
      const method = cfg.method && cfg.method !== 'btree' ? ` using ${cfg.method}` : '';
      lines.push(
        `- ${cfg.unique ? 'unique ' : ''}\`${cfg.name ?? '(unnamed)'}\`${method} (${cell(cols)})${cell(where)}`,
      );
    }
  }
  return lines.join('\n');
}

const mermaidType = (t: string) =>
  t
    .replace(/\[\]/g, '_array')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+$/, '');

/** One ER diagram per area: its tables with key columns, and the tables they reference. */
function renderDiagram(area: string, tables: DocTable[]): string {
  const lines = ['```mermaid', 'erDiagram'];
  const relations: string[] = [];
  for (const t of tables) {
    const c = getTableConfig(t.table);
    const pk = new Set(c.primaryKeys.flatMap((p) => p.columns.map((x) => x.name)));
    const fk = new Set(c.foreignKeys.flatMap((f) => f.reference().columns.map((x) => x.name)));
    const attrs = c.columns
      .filter((col) => col.primary || pk.has(col.name) || fk.has(col.name))
      .map((col) => {
        const marks = [col.primary || pk.has(col.name) ? 'PK' : '', fk.has(col.name) ? 'FK' : ''].filter(Boolean);
        return `    ${mermaidType(col.getSQLType())} ${col.name} ${marks.join(', ')}`.trimEnd();
      });
    // Mermaid rejects an empty attribute block: a table without keys is drawn by name only.
    if (attrs.length === 0) lines.push(`  ${c.name}`);
    else lines.push(`  ${c.name} {`, ...attrs.map((a) => `  ${a}`), '  }');
    for (const f of c.foreignKeys) {
      const ref = f.reference();
      const target = getTableConfig(ref.foreignTable).name;
      const label = ref.columns.map((x) => x.name).join(', ');
      relations.push(`  ${target} ||--o{ ${c.name} : "${label}"`);
    }
  }
  lines.push(...[...new Set(relations)], '```');
  return `Relationships of ${area}:\n\n${lines.join('\n')}`;
}

/** The whole document, formatted as the repository's Prettier settings format Markdown. */
export async function renderDatabaseDoc(tables: DocTable[]): Promise<string> {
  const { format, resolveConfig } = await import('prettier');
  const options = (await resolveConfig(DOC_PATH)) ?? {};
  return format(rawDatabaseDoc(tables), { ...options, filepath: DOC_PATH });
}

function rawDatabaseDoc(tables: DocTable[]): string {
  const areas = [...new Set(tables.map((t) => t.area))];
  const out: string[] = [
    '# Database',
    '',
    '<!-- Generated by `npm run docs:db` from the Drizzle schema (src/**/tables.ts). Do not edit by hand:',
    '     change the schema or the comment above a table, then run `npm run docs:db`. -->',
    '',
    `${tables.length} tables in ${areas.length} parts. Each module owns its tables; no module reads or writes`,
    "another's. Money and card amounts are `bigint` minor units; ids are UUIDs (v7, time-ordered);",
    'times are `timestamp with time zone` (UTC). Migrations in `drizzle/` create all of it.',
    '',
    '## Contents',
    '',
    ...areas.map((a) => {
      const names = tables.filter((t) => t.area === a).map((t) => `[${t.name}](#${t.name})`);
      return `- **${a}**: ${names.join(', ')}`;
    }),
  ];
  for (const area of areas) {
    const own = tables.filter((t) => t.area === area);
    out.push('', `## ${area}`, '', renderDiagram(area, own));
    for (const t of own) out.push('', renderTable(t));
  }
  return `${out.join('\n')}\n`;
}

/** Tables whose definition has no comment saying what they are for. */
export const undescribed = (tables: DocTable[]) =>
  tables.filter((t) => !t.description).map((t) => `${t.area}: ${t.name}`);

async function main() {
  const tables = await loadTables();
  const doc = await renderDatabaseDoc(tables);
  const missing = undescribed(tables);
  if (missing.length > 0) {
    process.stderr.write(
      `Tables without a description (add a /** … */ comment above their pgTable definition):\n  ${missing.join('\n  ')}\n`,
    );
  }
  if (process.argv.includes('--check')) {
    const committed = await readFile(DOC_PATH, 'utf8').catch(() => '');
    if (committed !== doc) {
      process.stderr.write('docs/database.md is out of date: run `npm run docs:db` and commit it.\n');
      process.exit(1);
    }
    process.stderr.write('docs/database.md is up to date\n');
    return;
  }
  await writeFile(DOC_PATH, doc);
  process.stderr.write(`wrote ${path.relative(ROOT, DOC_PATH)}: ${tables.length} tables\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
