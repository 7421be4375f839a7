import { readFile } from 'node:fs/promises';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, loadTables, renderDatabaseDoc, tableComments, undescribed } from '../../scripts/docs-db.ts';
import { anchorsOf } from './markdown.ts';

// docs/database.md is generated from the schema; these tests keep it true.

const tables = await loadTables();

describe('docs/database.md', () => {
  it('is up to date with the schema (run `npm run docs:db` when this fails)', async () => {
    const committed = await readFile(DOC_PATH, 'utf8').catch(() => '');
    expect(
      committed === (await renderDatabaseDoc(tables)),
      'docs/database.md is out of date: run `npm run docs:db`',
    ).toBe(true);
  });

  it('says what every table is for (add a /** … */ comment above the pgTable definition)', () => {
    expect(undescribed(tables)).toEqual([]);
  });

  it('documents every table with its columns, keys, indexes and foreign keys, and draws them', async () => {
    const doc = await renderDatabaseDoc(tables);
    const anchors = anchorsOf(doc);
    expect(tables.length).toBeGreaterThan(50);
    for (const t of tables) expect(anchors, t.name).toContain(t.name);
    const balances = doc.slice(doc.indexOf('### ledger_balances'), doc.indexOf('### ledger_daily_usage'));
    expect(balances).toMatch(/\| account_id +\| `uuid` +\| not null +\| +\| PK, FK → ledger_accounts\.id +\|/);
    expect(balances).toContain('- check `ledger_balances_no_overdraft`: `may_go_negative OR available >= 0`');
    const entries = tables.find((t) => t.name === 'ledger_entries');
    expect(entries).toBeDefined();
    for (const idx of entries ? getTableConfig(entries.table).indexes : [])
      expect(doc).toContain(`\`${idx.config.name}\``);
    expect(doc).toContain('```mermaid\nerDiagram');
    expect(doc).toContain('ledger_accounts ||--o{ ledger_balances : "account_id"');
  });

  it('reads the comment directly above a table definition, and only that', () => {
    const source = [
      '/** Not a table. */',
      'export const LIMIT = 3;',
      '',
      '/**',
      ' * Orders of the book,',
      ' * one row each.',
      ' */',
      "export const orders = pgTable('orders', {});",
      "export const bare = pgTable('bare', {});",
    ].join('\n');
    expect(Object.fromEntries(tableComments(source))).toEqual({ orders: 'Orders of the book, one row each.' });
  });
});
