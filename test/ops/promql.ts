// Small helpers over PromQL text for the monitoring tests.

const PROMQL_WORDS = new Set(
  (
    'sum max min avg count topk bottomk rate increase irate delta histogram_quantile time by on without ' +
    'ignoring and or unless group_left group_right bool offset abs clamp_min clamp_max'
  ).split(' '),
);

/** Series names a PromQL expression selects (label matchers, strings, ranges and grouping lists removed). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|on|without|ignoring)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/"[^"]*"/g, ' ');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w) && !/^e\d+$/.test(w));
}

/** Grafana's range variables replaced by a fixed window, so the expression is plain PromQL. */
export const plainPromql = (expr: string) => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; legendFormat?: string }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string }[] };
}
