import type { Config } from '../../config.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { Payments, type DepositGuard } from './payments/service.ts';
import type { PaymentProvider } from './payments/provider.ts';
import { payoutPolicyOf } from './payments/payouts.ts';
import { SandboxProvider } from './payments/sandbox.ts';
import { Refunds } from './payments/refunds.ts';
import { StripeProvider } from './payments/stripe.ts';
import { ReconcileGauges } from './reconcile.ts';
import { limitsOf, type Limits } from './wallet-service.ts';
import { publicBaseUrl } from '../../platform/http/public-url.ts';

/** What the ledger's routes and jobs share within one runtime. */
export interface LedgerDeps {
  limits: Limits;
  payments: Payments;
  /** Admin refunds (webhook refunds and disputes go through `payments`). */
  refunds: Refunds;
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
  if (config.PAYMENT_PROVIDER === 'stripe') return createStripeProvider(config);
  return createSandboxProvider(config, now);
}

function createSandboxProvider(config: Config, now: () => Date): SandboxProvider {
  return new SandboxProvider({
    secret: config.PAYMENT_WEBHOOK_SECRET ?? DEVELOPMENT_WEBHOOK_SECRET,
    baseUrl: publicBaseUrl(config),
    toleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
    now,
  });
}

function createStripeProvider(config: Config): StripeProvider {
  // config.ts refuses PAYMENT_PROVIDER=stripe without both keys.
  if (!config.STRIPE_SECRET_KEY || !config.STRIPE_WEBHOOK_SECRET) throw new Error('Stripe keys are not configured');
  const baseUrl = publicBaseUrl(config);
  return new StripeProvider({
    secretKey: config.STRIPE_SECRET_KEY,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    currency: config.STRIPE_CURRENCY,
    coinUnitsPerCurrencyUnit: BigInt(config.STRIPE_COIN_UNITS_PER_CURRENCY_UNIT),
    baseUrl,
    returnUrl: config.PUBLIC_WEB_URL ?? baseUrl,
    toleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
    ...(config.STRIPE_API_HOST ? { host: config.STRIPE_API_HOST } : {}),
    ...(config.STRIPE_API_PORT ? { port: config.STRIPE_API_PORT } : {}),
    ...(config.STRIPE_API_PROTOCOL ? { protocol: config.STRIPE_API_PROTOCOL } : {}),
  });
}

/**
 * Every provider whose webhooks are accepted: the selected one, and the sandbox outside
 * production too, so payments opened before a switch to Stripe still settle in development.
 */
function acceptedProviders(config: Config, provider: PaymentProvider): Map<string, PaymentProvider> {
  const providers = new Map<string, PaymentProvider>([[provider.name, provider]]);
  if (provider.name !== 'sandbox' && config.NODE_ENV !== 'production') {
    const sandbox = createSandboxProvider(config, () => new Date());
    providers.set(sandbox.name, sandbox);
  }
  return providers;
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
      providers: acceptedProviders(ctx.config, provider),
      now: () => new Date(),
      depositGuards,
      // Only the sandbox may pay out without a destination: it moves no real money.
      payouts: payoutPolicyOf(ctx.config, !(provider instanceof SandboxProvider)),
    }),
    refunds: new Refunds({ db: ctx.db, providers: acceptedProviders(ctx.config, provider) }),
    sandbox: provider instanceof SandboxProvider ? provider : undefined,
    gauges: new ReconcileGauges(ctx.metrics.registry),
    depositGuards,
  };
  built.set(ctx, deps);
  return deps;
}
