import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { NotFoundError } from '../../../platform/http/errors.ts';
import { escapeHtml, htmlPage, pageResponses } from '../../../platform/http/html.ts';
import type { PlatformContext } from '../../../platform/module.ts';
import { ledgerDeps } from '../deps.ts';
import { guard } from '../ports.ts';
import { WebhookParams, WebhookReply } from '../schemas.ts';
import { checkoutTarget } from './checkout.ts';

const CheckoutParams = Type.Object(
  { token: Type.String({ pattern: '^[0-9a-f]{32}-[1-9][0-9]{0,18}\\.[0-9a-f]{24}$' }) },
  { additionalProperties: false },
);
const CheckoutAction = Type.Object(
  { token: CheckoutParams.properties.token, action: Type.Union([Type.Literal('complete'), Type.Literal('fail')]) },
  { additionalProperties: false },
);
const page = htmlPage;
const StripeCheckoutParams = Type.Object(
  { paymentId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

/**
 * Provider callbacks, and the sandbox provider's checkout pages. Webhook bodies are kept as the
 * exact text received: the signature covers those bytes, not a re-serialised object.
 */
export const paymentRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const deps = ledgerDeps(ctx);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post(
    '/api/payments/webhooks/:provider',
    {
      ...guard('public'),
      schema: {
        tags: ['payments'],
        summary: 'Payment provider callback',
        description:
          'Signed by the provider (the sandbox: `Sandbox-Signature: t=<unix>,v1=<HMAC-SHA256 hex of "<t>.<body>">`; ' +
          'Stripe: its `Stripe-Signature` header). Events the wallet has no use for are acknowledged as `ignored`. ' +
          'A bad signature or a timestamp older than 5 minutes is refused with nothing written; an event id already ' +
          'processed is acknowledged and ignored.',
        params: WebhookParams,
        body: Type.String({ description: 'The raw event, as signed' }),
        response: { 200: WebhookReply },
      },
    },
    async (request) => ({
      received: true,
      outcome: await deps.payments.handleWebhook(request.params.provider, request.body, request.headers),
    }),
  );

  if (ctx.config.PAYMENT_PROVIDER === 'stripe') {
    app.get(
      '/api/payments/stripe/checkout/:paymentId',
      {
        ...guard('public'),
        schema: {
          tags: ['payments'],
          summary: 'Stripe checkout link',
          description:
            "A deposit's checkout link: forwards the payer (302) to Stripe's hosted checkout page for it. " +
            "The link is the deposit reply's `checkoutUrl`; a deposit no longer open answers 409.",
          params: StripeCheckoutParams,
          response: { 302: Type.Null({ description: 'Location: the Stripe checkout page' }) },
        },
      },
      async (request, reply) => {
        const target = await checkoutTarget(ctx.db, deps.payments, 'stripe', request.params.paymentId);
        return reply.redirect(target, 302);
      },
    );
  }

  const sandbox = deps.sandbox;
  if (!sandbox) return;

  app.get(
    '/api/payments/sandbox/checkout/:token',
    {
      ...guard('public'),
      schema: {
        tags: ['payments'],
        summary: 'Sandbox checkout page',
        description: 'Where a sandbox deposit is paid or declined; either button makes the sandbox send its webhook.',
        params: CheckoutParams,
        response: pageResponses,
      },
    },
    async (request, reply) => {
      const checkout = sandbox.openCheckout(request.params.token);
      if (!checkout) throw new NotFoundError('Checkout');
      const base = `/api/payments/sandbox/checkout/${request.params.token}`;
      const coins = `${checkout.amount / 100n}.${String(checkout.amount % 100n).padStart(2, '0')}`;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page(
            'Sandbox checkout',
            `<h1>Sandbox checkout</h1><p>Deposit of <strong>${coins} coins</strong> ` +
              `(payment ${escapeHtml(checkout.providerPaymentId)}). No real money moves.</p>` +
              `<form method="post" action="${base}/complete"><button>Pay</button></form>` +
              `<form method="post" action="${base}/fail"><button>Decline</button></form>`,
          ),
        );
    },
  );

  app.post(
    '/api/payments/sandbox/checkout/:token/:action',
    {
      ...guard('public'),
      schema: {
        tags: ['payments'],
        summary: 'Complete or decline a sandbox checkout',
        params: CheckoutAction,
        response: pageResponses,
      },
    },
    async (request, reply) => {
      const checkout = sandbox.openCheckout(request.params.token);
      if (!checkout) throw new NotFoundError('Checkout');
      // The link is handed out before the sandbox registers the payment; paying it must not race that.
      await deps.payments.register(checkout.paymentId);
      const type = request.params.action === 'complete' ? 'deposit.succeeded' : 'deposit.failed';
      const hook = sandbox.simulate(checkout.providerPaymentId, type, checkout.amount);
      const outcome = await deps.payments.handleWebhook(sandbox.name, hook.rawBody, hook.headers);
      const text =
        outcome === 'applied'
          ? type === 'deposit.succeeded'
            ? 'Payment complete: the coins are in your wallet.'
            : 'Payment declined: nothing was charged.'
          : 'This payment was already settled.';
      return reply.type('text/html; charset=utf-8').send(page('Sandbox checkout', `<p>${text}</p>`));
    },
  );
};
