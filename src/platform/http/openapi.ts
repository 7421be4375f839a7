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
