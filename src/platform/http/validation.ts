import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function makeAjv(options: Options) {
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    ...options,
  });
  addFormats.default(ajv);
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
