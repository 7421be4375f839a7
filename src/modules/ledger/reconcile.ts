import client from 'prom-client';
import type { Db } from '../../platform/db/tx.ts';
import * as repo from './reconcile-repo.ts';

export type { Violation, ReconcileCheck } from './reconcile-repo.ts';

export interface ReconcileReport {
  ok: boolean;
  checkedAt: Date;
  /** Violations found per check (each list is capped at 100 rows; the count is of those rows). */
  counts: Record<repo.ReconcileCheck, number>;
  violations: repo.Violation[];
  size: { transfers: number; entries: number; balances: number };
}

const CHECKS = {
  asset_not_zero: repo.assetsNotZero,
  balance_vs_entries: repo.balancesVsEntries,
  negative_balance: repo.negativeBalances,
  held_vs_pending: repo.heldVsPending,
  transfer_vs_entries: repo.transfersVsEntries,
  phase_not_zero: repo.phasesNotZero,
} satisfies Record<repo.ReconcileCheck, (db: Db) => Promise<repo.Violation[]>>;

/**
 * Proves the books: every asset sums to zero, every balance equals its entries, no user or escrow
 * balance is negative, held amounts match pending transfers, and every transfer is fully written.
 * All checks read one snapshot, so transfers committing meanwhile cannot cause false alarms.
 */
export async function reconcile(db: Db): Promise<ReconcileReport> {
  return db.transaction(
    async (tx) => {
      const counts = {} as Record<repo.ReconcileCheck, number>;
      const violations: repo.Violation[] = [];
      for (const [check, run] of Object.entries(CHECKS) as [
        repo.ReconcileCheck,
        (db: Db) => Promise<repo.Violation[]>,
      ][]) {
        const found = await run(tx);
        counts[check] = found.length;
        violations.push(...found);
      }
      const size = await repo.ledgerSize(tx);
      return { ok: violations.length === 0, checkedAt: new Date(), counts, violations, size };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** The Prometheus face of reconciliation: violations per check (0 when healthy) and last run time. */
export class ReconcileGauges {
  private readonly violations: client.Gauge<'check'>;
  private readonly lastRun: client.Gauge;

  constructor(registry: client.Registry) {
    this.violations = new client.Gauge({
      name: 'ledger_reconciliation_violations',
      help: 'Ledger invariants found broken by the last reconciliation, by check (0 when healthy)',
      labelNames: ['check'],
      registers: [registry],
    });
    this.lastRun = new client.Gauge({
      name: 'ledger_reconciliation_last_run_timestamp_seconds',
      help: 'When the ledger was last reconciled',
      registers: [registry],
    });
    for (const check of Object.keys(CHECKS)) this.violations.set({ check }, 0);
  }

  record(report: ReconcileReport): void {
    for (const [check, n] of Object.entries(report.counts)) this.violations.set({ check }, n);
    this.lastRun.set(report.checkedAt.getTime() / 1000);
  }
}
