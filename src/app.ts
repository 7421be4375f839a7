import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import { uuidv7 } from 'uuidv7';
import type { PlatformContext, ModuleDefinition } from './platform/module.ts';
import { clientErrorHandler, frameworkErrors, installProblemHandlers } from './platform/http/errors.ts';
import { securityHeadersPlugin } from './platform/http/security-headers.ts';
import { rejectNulCharacters, validatorCompiler } from './platform/http/validation.ts';
import { authPlugin } from './platform/http/auth.ts';
import { healthRoutes } from './platform/http/health.ts';
import { documentedRoute } from './platform/http/openapi.ts';
import { metricsPlugin } from './platform/metrics/metrics.ts';
import { realtimeRoutes } from './platform/realtime/ws.ts';

export interface BuildAppOptions {
  ctx: PlatformContext;
  modules: readonly ModuleDefinition[];
  /** Whether this process runs the job queue (reported by readiness). */
  runsJobs: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on the app, with its options (authorization and docs tests walk it). */
    routeCatalog: readonly RouteOptions[];
  }
}

/**
 * The HTTP application: platform plugins first (errors, security, limits, docs, metrics, auth),
 * then operations routes, realtime, and every module's routes.
 */
export async function buildApp({ ctx, modules, runsJobs }: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : uuidv7();
    },
    routerOptions: { ignoreTrailingSlash: true },
    forceCloseConnections: false,
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const routeCatalog: RouteOptions[] = [];
  app.decorate('routeCatalog', routeCatalog);
  app.addHook('onRoute', (route) => {
    routeCatalog.push(route as RouteOptions);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.addHook('preValidation', rejectNulCharacters);
  installProblemHandlers(app);
  // JSON is the only body the API reads: a text/plain body must be a 415, not a string that later
  // fails schema checks with a confusing message. A route that needs another type adds its parser.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  await app.register(securityHeadersPlugin, {
    // The interactive docs page needs its own inline script and styles.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        // Local plain-HTTP installs would break if subresources were forced to HTTPS.
        upgradeInsecureRequests: config.NODE_ENV === 'production' ? [] : null,
      },
    },
  });
  await app.register(cors, {
    origin: config.CORS_ORIGINS.length > 0 ? [...config.CORS_ORIGINS] : false,
    credentials: true,
    exposedHeaders: ['x-request-id', 'retry-after', 'etag'],
  });
  await app.register(metricsPlugin, { metrics: ctx.metrics });
  // Before the rate limiter, so signed-in callers are limited per user rather than per address.
  const auth = { tokens: ctx.tokens, checks: ctx.principalChecks };
  await app.register(authPlugin, auth);
  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    ...(ctx.redis ? { redis: ctx.redis, nameSpace: 'ratelimit:' } : {}),
    keyGenerator: (request) => request.principal?.userId ?? request.ip,
    errorResponseBuilder: (_request, context) => {
      const err = new Error(`Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`) as Error & {
        statusCode: number;
      };
      err.statusCode = 429;
      return err;
    },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ECE Trading Cards API',
        version: '0.1.0',
        description:
          'Collect cards, open verifiable packs, trade and price them on one double-entry ledger. ' +
          'Errors are RFC 9457 problem+json with a stable `code`; money is integer minor units.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    // @fastify/websocket hides its routes from the document, but the realtime endpoint is API too;
    // members with a default are optional to callers; the failures every route shares are listed.
    transform: ({ schema, url, route }) => ({
      schema: documentedRoute(schema, {
        websocket: route.websocket === true,
        access: route.config?.access,
        rateLimited: (route.config as { rateLimit?: unknown } | undefined)?.rateLimit !== false,
      }),
      url,
    }),
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  await app.register(healthRoutes, {
    pool: ctx.pool,
    jobs: ctx.jobs,
    redis: ctx.redis,
    metrics: ctx.metrics,
    metricsToken: config.METRICS_TOKEN,
    expectJobs: runsJobs,
  });
  await app.register(realtimeRoutes, {
    hub: ctx.realtime,
    auth,
    policies: ctx.channelPolicies,
    heartbeatMs: config.WS_HEARTBEAT_MS,
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    stateChannels: ctx.stateChannels,
    cache: ctx.cache,
    stateMaxRateHz: config.WS_STATE_MAX_RATE_HZ,
    maxConnectionsPerAddress: config.WS_MAX_CONNECTIONS_PER_ADDRESS,
    loopbackMaxConnections: config.NODE_ENV === 'production' ? undefined : config.WS_LOOPBACK_MAX_CONNECTIONS,
    fanoutChunkSize: config.WS_FANOUT_CHUNK_SIZE,
  });
  for (const mod of modules) {
    if (mod.routes) await app.register(mod.routes, { ctx });
  }
  return app;
}
