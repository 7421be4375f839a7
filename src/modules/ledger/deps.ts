import type { Config } from '../../config.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { Payments, type DepositGuard } from './payments/service.ts';
import type { PaymentProvider } from './payments/provider.ts';
import { SandboxProvider } from './payments/sandbox.ts';
import { ReconcileGauges } from './reconcile.ts';
import { limitsOf, type Limits } from './wallet-service.ts';
import { publicBaseUrl } from '../../platform/http/public-url.ts';

/** What the ledger's routes and jobs share within one runtime. */
export interface LedgerDeps {
  limits: Limits;
  payments: Payments;
  /** Set when the sandbox provider is in use: its checkout pages are served. */
  sandbox: SandboxProvider | undefined;
  gauges: ReconcileGauges;
  /** Filled by other modules' setup (`registerDepositGuard`); the payments service reads it. */
  depositGuards: DepositGuard[];
}

// Outside production an unset secret falls back to this one, so the quick start works offline;
// production refuses to start without PAYMENT_WEBHOOK_SECRET (see config.ts).
const DEVELOPMENT_WEBHOOK_SECRET = 'sandbox-webhook-secret-for-local-development';

export function createProvider(config: Config, now: () => Date = () => new Date()): PaymentProvider {
  // PAYMENT_PROVIDER only admits `sandbox` today; a real provider plugs in here.
  return new SandboxProvider({
    secret: config.PAYMENT_WEBHOOK_SECRET ?? DEVELOPMENT_WEBHOOK_SECRET,
    baseUrl: publicBaseUrl(config),
    toleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
    now,
  });
}

const built = new WeakMap<PlatformContext, LedgerDeps>();

/** Adds a check every deposit of this runtime passes before it opens (see `DepositGuard`). */
export function registerDepositGuard(ctx: PlatformContext, guard: DepositGuard): void {
  ledgerDeps(ctx).depositGuards.push(guard);
}

/** The ledger dependencies of one runtime, built on first use. */
export function ledgerDeps(ctx: PlatformContext): LedgerDeps {
  const existing = built.get(ctx);
  if (existing) return existing;
  const limits = limitsOf(ctx.config);
  const provider = createProvider(ctx.config);
  const depositGuards: DepositGuard[] = [];
  const deps: LedgerDeps = {
    limits,
    payments: new Payments({
      db: ctx.db,
      limits,
      provider,
      providers: new Map([[provider.name, provider]]),
      now: () => new Date(),
      depositGuards,
    }),
    sandbox: provider instanceof SandboxProvider ? provider : undefined,
    gauges: new ReconcileGauges(ctx.metrics.registry),
    depositGuards,
  };
  built.set(ctx, deps);
  return deps;
}
