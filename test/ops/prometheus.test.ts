import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { QUIET_ENV } from '../helpers/http.ts';
import { declaredFamilies, scrape } from './metrics-text.ts';
import { anchorsOf } from './markdown.ts';
import { metricNames, plainPromql, type Dashboard } from './promql.ts';

// The Prometheus artefacts proven with Prometheus' own tool: the configuration and rules load,
// and every alert fires in a unit test. Skipped only where promtool is not installed and this is
// not CI (CI installs Debian's `prometheus` package, which brings it).

const root = path.resolve(import.meta.dirname, '../..');
const dir = path.join(root, 'ops/prometheus');
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groupsOf = (file: string): { name: string; rules: Rule[] }[] =>
  (parse(readFileSync(path.join(dir, 'rules', file), 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const alerts = groupsOf('alerts.yml').flatMap((g) => g.rules);
const recordings = groupsOf('recording.yml').flatMap((g) => g.rules);
const testFiles = readdirSync(path.join(dir, 'tests')).filter((f) => f.endsWith('.yml'));
const grafana = path.join(root, 'ops/grafana');
const dashboardExprs = readdirSync(grafana)
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) => (JSON.parse(readFileSync(path.join(grafana, f), 'utf8')) as Dashboard).panels)
  .flatMap((p) => (p.targets ?? []).map((t) => plainPromql(t.expr)));

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('alert rules as written', () => {
  it('every alert has a severity, a summary and a runbook section that exists in docs/operations.md', () => {
    const anchors = anchorsOf(readFileSync(path.join(root, 'docs/operations.md'), 'utf8'));
    expect(alerts.length).toBeGreaterThanOrEqual(15);
    for (const rule of alerts) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(['page', 'ticket'], `${rule.alert} severity`).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, `${rule.alert} summary`).toBeTruthy();
      const url = rule.annotations?.runbook_url ?? '';
      expect(url, `${rule.alert} runbook_url`).toMatch(/^docs\/operations\.md#[a-z0-9-]+$/);
      expect(anchors, `${rule.alert}: no section ${url}`).toContain(url.split('#')[1]);
    }
  });

  it('covers what operations must know about', () => {
    const names = alerts.map((a) => a.alert);
    const exprs = alerts.map((a) => a.expr).join('\n');
    for (const metric of [
      'ledger_reconciliation_violations',
      'outbox_events_pending',
      'outbox_events_parked',
      'job_queue_oldest_age_seconds',
      'db_pool_connections',
      'nodejs_eventloop_lag_p99_seconds',
      'fraud_flags_total',
      'payment_webhooks_total',
      'pg_up',
      'redis_up',
    ]) {
      expect(exprs, metric).toContain(metric);
    }
    expect(names).toEqual(expect.arrayContaining(['ApiAvailabilityBudgetBurnFast', 'ApiLatencyBudgetBurnFast']));
    const ledger = alerts.find((a) => a.alert === 'LedgerReconciliationViolation');
    expect(ledger?.labels?.severity).toBe('page');
  });

  it('every alert is shown firing by a promtool unit test', () => {
    const fired = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(readFileSync(path.join(dir, 'tests', file), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      for (const t of doc.tests) {
        for (const a of t.alert_rule_test ?? []) if ((a.exp_alerts ?? []).length > 0) fired.add(a.alertname);
      }
    }
    const untested = alerts.map((a) => a.alert as string).filter((name) => !fired.has(name));
    expect(untested, 'alerts without a firing unit test').toEqual([]);
  });
});

describe('metrics the rules read', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('are all exposed by the service (or by the PostgreSQL and Redis exporters), for rules and dashboards', async () => {
    const families = declaredFamilies(await scrape(t));
    const exposed = new Set<string>();
    for (const [name, type] of families) {
      exposed.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_count', '_sum']) exposed.add(name + s);
      if (type === 'summary') for (const s of ['_count', '_sum']) exposed.add(name + s);
    }
    const fromExporters = new Set(['up', 'pg_up', 'redis_up']);
    const recorded = new Set(recordings.map((r) => r.record as string));
    const missing = new Set<string>();
    const read = new Set<string>();
    const fromExporter = (name: string) => fromExporters.has(name) || /^(pg|redis)_/.test(name);
    for (const expr of [...alerts, ...recordings].map((r) => r.expr).concat(dashboardExprs)) {
      for (const name of metricNames(expr)) {
        read.add(name);
        if (!exposed.has(name) && !fromExporter(name) && !recorded.has(name)) missing.add(name);
      }
    }
    expect([...missing]).toEqual([]);
    // The extraction really sees the series (the check above is not vacuous).
    expect([...read]).toEqual(
      expect.arrayContaining([
        'http_request_duration_seconds_count',
        'http_request_duration_seconds_bucket',
        'ledger_reconciliation_violations',
        'bot_schedule_lag_seconds_bucket',
        'slo:http_request_errors:ratio_rate5m',
        'pg_up',
        'realtime_connections',
        'market_traded_quantity_total',
      ]),
    );
    expect(metricNames('sum by (x) (rate(nope_total{a="b"}[5m])) > 1e3')).toEqual(['nope_total']);
  });
});

describe.skipIf(!hasPromtool && !process.env.CI)('promtool', () => {
  it('is installed (CI must have it)', () => {
    expect(hasPromtool, 'promtool is missing: .ci/run installs Debian’s prometheus package').toBe(true);
  });

  it('accepts the configuration and both rule files', () => {
    // promtool checks that the scrape token file exists: check a copy beside a stand-in token.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'ece-prometheus-'));
    try {
      cpSync(dir, tmp, { recursive: true });
      writeFileSync(path.join(tmp, 'ece-metrics-token'), 'a-token-of-at-least-16-characters\n');
      const config = spawnSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: tmp, encoding: 'utf8' });
      expect(config.status, `${config.stdout}${config.stderr}`).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const rules = promtool('check', 'rules', 'rules/recording.yml', 'rules/alerts.yml');
    expect(rules.status, rules.output).toBe(0);
    expect(rules.output).toContain(`SUCCESS: ${alerts.length} rules found`);
  }, 120_000);

  it('passes every rule unit test', () => {
    const run = promtool('test', 'rules', ...testFiles.map((f) => path.join('tests', f)));
    expect(run.status, run.output).toBe(0);
    expect(run.output).not.toContain('FAILED');
  }, 120_000);
});
