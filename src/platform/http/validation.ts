import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyRequest, FastifySchemaCompiler, preValidationHookHandler } from 'fastify';
import { ValidationError } from './errors.ts';

function makeAjv(options: Options) {
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    ...options,
  });
  addFormats.default(ajv);
  // ajv-formats also takes `urn:uuid:<uuid>`, which no id column does: ids are the bare form only.
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  // OpenAPI annotations that are not validation keywords.
  ajv.addKeyword({ keyword: 'example' });
  return ajv;
}

// Bodies are taken as sent: no type coercion, no silent stripping of unknown fields.
const bodyAjv = makeAjv({ coerceTypes: false });
// Query strings, params and headers are text: numbers and booleans are read from it.
const textAjv = makeAjv({ coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);

/** Where a NUL character sits in a parsed request part (`body.a/b/0`), in a key or a value; null if nowhere. */
export function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object') return null;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value as Record<string, unknown>);
  for (const [key, inner] of entries) {
    const at = `${path}${path.includes('.') ? '/' : '.'}${String(key)}`;
    if (typeof key === 'string' && key.includes('\u0000')) return at;
    const found = nulPath(inner, at);
    if (found) return found;
  }
  return null;
}

/**
 * One rule for every route: no text the API takes may carry a NUL character (PostgreSQL stores
 * none), whatever the route's schema says; the 400 names where it was.
 */
export const rejectNulCharacters: preValidationHookHandler = (request: FastifyRequest, _reply, done) => {
  for (const [part, value] of [
    ['params', request.params],
    ['query', request.query],
    ['body', request.body],
  ] as const) {
    const where = nulPath(value, part);
    if (where) {
      done(
        new ValidationError('Text must not contain NUL characters', [
          { field: where, message: 'must not contain a NUL (\\u0000) character' },
        ]),
      );
      return;
    }
  }
  done();
};
