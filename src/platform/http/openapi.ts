import type { FastifySchema } from 'fastify';

/*
 * How a route's schema reads in the published document. Validation keeps the schema as written;
 * only the document's copy changes, so a client generated from it is told the truth.
 */

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

const hasDefault = (property: unknown) =>
  typeof property === 'object' && property !== null && Object.hasOwn(property, 'default');

/**
 * A member with a default may be left out (the server fills it in), so the document must not list
 * it as required, whatever the schema says for validation's sake.
 */
export function withoutDefaultedRequired<T>(schema: T): T {
  const object = schema as JsonSchema | undefined;
  if (!object || typeof object !== 'object' || !Array.isArray(object.required) || !object.properties) return schema;
  const properties = object.properties;
  const required = object.required.filter((name) => !hasDefault(properties[name]));
  if (required.length === object.required.length) return schema;
  const copy: JsonSchema = { ...object, required };
  if (required.length === 0) delete copy.required;
  return copy as T;
}

/** The document's view of one route's schema. */
export function documentedSchema(schema: FastifySchema, websocket: boolean): FastifySchema {
  return {
    ...schema,
    ...(websocket ? { hide: false } : {}),
    ...(schema.querystring ? { querystring: withoutDefaultedRequired(schema.querystring) } : {}),
    ...(schema.body ? { body: withoutDefaultedRequired(schema.body) } : {}),
  };
}

/** RFC 9457 problem details as this API writes them (`errors` lists failed fields on a 400). */
const Problem = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'Stable machine-readable reason' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
};

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});

/** How a route is reached, as far as the document needs to know. */
export interface RouteTraits {
  websocket: boolean;
  /** `config.access`: 'public', 'user', 'verified' or a permission. */
  access: unknown;
  /** Whether the global request limit applies. */
  rateLimited: boolean;
}

/**
 * The failures every operation can answer besides its own: a 400 when it validates input, 401 and
 * 403 from its access rule, 429 from the request limit, and problem+json for anything else.
 */
function platformErrors(schema: FastifySchema, traits: RouteTraits): Record<string, unknown> {
  const errors: Record<string, unknown> = {};
  if (schema.params || schema.querystring || schema.body || schema.headers) {
    errors['400'] = problem('The input is invalid (`validation_failed` names each field in `errors`)');
  }
  if (traits.access !== 'public') {
    errors['401'] = problem('No valid access token (`unauthorized`)');
  }
  if (traits.access === 'verified' || (typeof traits.access === 'object' && traits.access !== null)) {
    errors['403'] = problem('The account may not do this (`forbidden`, `email_not_verified`)');
  }
  if (traits.rateLimited) errors['429'] = problem('Too many requests (`rate_limited`); see Retry-After');
  errors.default = problem('Any other failure (not found, conflict, server error), as problem+json');
  return errors;
}

/** The document's view of one route: defaults optional, and every platform failure documented. */
export function documentedRoute(schema: FastifySchema, traits: RouteTraits): FastifySchema {
  const documented = documentedSchema(schema, traits.websocket);
  if (documented.hide) return documented;
  const declared = (schema.response ?? {}) as Record<string, unknown>;
  const errors = platformErrors(schema, traits);
  // A route that answers its refusals in another form (a page for a browser) says so for every 4xx.
  const range = declared['4xx'] as { content?: Record<string, unknown> } | undefined;
  if (range?.content) {
    for (const [status, error] of Object.entries(errors)) {
      if (!status.startsWith('4')) continue;
      const { description, content } = error as { description: string; content: Record<string, unknown> };
      errors[status] = {
        description: `${description}, or a page saying why`,
        content: { ...content, ...range.content },
      };
    }
  }
  return { ...documented, response: { ...errors, ...declared } };
}
