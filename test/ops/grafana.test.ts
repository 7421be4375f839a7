import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { plainPromql, type Dashboard } from './promql.ts';

// Dashboards as code: well-formed Grafana JSON whose every query is valid PromQL (checked by
// promtool, by loading the queries as recording rules). The metrics they read are checked against
// the service's /metrics in prometheus.test.ts.

const dir = path.resolve(import.meta.dirname, '../../ops/grafana');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const dashboards = files.map((f) => ({
  file: f,
  dash: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Dashboard,
}));
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

describe('Grafana dashboards', () => {
  it('cover the API, database, jobs and outbox, ledger and payments, market and bots', () => {
    expect(files.sort()).toEqual([
      'api.json',
      'bots.json',
      'database.json',
      'jobs-outbox.json',
      'ledger-payments.json',
      'market.json',
    ]);
  });

  it('are well formed: unique uids, a Prometheus datasource variable, every panel placed with queries', () => {
    const uids = dashboards.map((d) => d.dash.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, dash } of dashboards) {
      expect(dash.title, file).toBeTruthy();
      expect(dash.templating.list, file).toContainEqual(
        expect.objectContaining({ name: 'datasource', type: 'datasource' }),
      );
      const ids = dash.panels.map((p) => p.id);
      expect(new Set(ids).size, `${file} panel ids`).toBe(ids.length);
      const panels = dash.panels.filter((p) => p.type !== 'row');
      expect(panels.length, file).toBeGreaterThan(0);
      for (const p of panels) {
        const where = `${file}: ${p.title}`;
        expect(p.gridPos, where).toBeDefined();
        expect(p.datasource, where).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets?.length, where).toBeGreaterThan(0);
        const refIds = (p.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size, where).toBe(refIds.length);
        for (const t of p.targets ?? []) expect(t.expr.trim(), where).not.toBe('');
      }
    }
  });

  it.skipIf(!hasPromtool && !process.env.CI)('every panel query parses as PromQL (promtool)', () => {
    const rules = dashboards.flatMap(({ file, dash }) =>
      dash.panels.flatMap((p) =>
        (p.targets ?? []).map((t, i) => ({
          record: `dashboard:${file.replace(/\W/g, '_')}:${p.id}_${i}`,
          expr: plainPromql(t.expr),
        })),
      ),
    );
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'ece-grafana-'));
    try {
      const file = path.join(tmp, 'dashboards.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
      const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
      expect(run.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
