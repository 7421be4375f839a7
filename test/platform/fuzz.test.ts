import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { QUIET_ENV, bearer } from '../helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';

/*
 * Every operation of the OpenAPI document, sent random path parameters, query strings and bodies
 * shaped after its own schemas (right names, random and wrong values), by an admin and by a plain
 * user. Whatever arrives, the answer is below 500 and in a media type the document declares for
 * that status (problem+json for errors): a 500 here is an input the validation let through to code
 * that could not handle it, and an undeclared type is a contract the document does not tell.
 */

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  description?: string;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

// Long-lived responses (the websocket, event streams) are not request/answer and are left out.
const SKIPPED = [/^\/api\/ws$/, /\/stream$/];
const RUNS = Number(process.env.FUZZ_RUNS ?? 5);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);

/** Text that once broke parsers: NUL, long runs, other scripts, numbers in disguise. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../../etc/passwd',
    '9'.repeat(40),
    '-1',
    'NaN',
    '{}',
    '%',
    'null',
    '😀'.repeat(50),
  ),
  fc.uuid(),
  fc.string({ minLength: 5000, maxLength: 5000 }).map((s) => s.slice(0, 5000)),
);
const nastyNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e300, 0.5, -0.0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const anyJson = fc.jsonValue({ maxDepth: 2 });

/** A value for a schema: usually of the declared kind (so it reaches the code), sometimes anything. */
function valueFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 3) return anyJson;
  const right = rightValue(schema, depth);
  return fc.oneof({ arbitrary: right, weight: 4 }, { arbitrary: anyJson, weight: 1 });
}

function rightValue(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices?.length) return fc.oneof(...choices.map((s) => valueFor(s, depth + 1)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') return fc.oneof(fc.uuid(), nastyString);
      if (schema.format === 'date-time')
        return fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          nastyString,
        );
      return nastyString;
    case 'integer':
    case 'number':
      return fc.oneof(
        nastyNumber,
        fc.integer({ min: Math.max(schema.minimum ?? -1e6, -1e12), max: Math.min(schema.maximum ?? 1e6, 1e12) }),
      );
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valueFor(schema.items, depth + 1), { maxLength: 4 });
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      if (props.length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 });
      return fc.record(Object.fromEntries(props.map(([k, s]) => [k, valueFor(s, depth + 1)])), { requiredKeys: [] });
    }
    case 'null':
      return fc.constant(null);
    default:
      return anyJson;
  }
}

/** The media types the document declares for a status: its own entry, else its range (4XX), else default. */
function documentedTypes(op: Operation, status: number): string[] {
  const responses = op.responses ?? {};
  const entry = responses[String(status)] ?? responses[`${String(status).charAt(0)}XX`] ?? responses.default;
  return Object.keys(entry?.content ?? {});
}

const asText = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

interface Case {
  method: string;
  path: string;
  op: Operation;
}

function requestFor(c: Case) {
  const params = c.op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const body = c.op.requestBody?.content['application/json']?.schema;
  return fc.record({
    path: fc
      .tuple(...pathParams.map((p) => valueFor(p.schema)))
      .map((values) =>
        pathParams.reduce(
          (url, p, i) => url.replace(`{${p.name}}`, encodeURIComponent(asText(values[i]).slice(0, 60) || 'x')),
          c.path,
        ),
      ),
    query: fc
      .tuple(...queryParams.map((p) => fc.option(valueFor(p.schema), { nil: undefined })))
      .map((values) =>
        Object.fromEntries(
          queryParams.flatMap((p, i) => (values[i] === undefined ? [] : [[p.name, asText(values[i]).slice(0, 100)]])),
        ),
      ),
    body: body ? fc.option(valueFor(body), { nil: undefined }) : fc.constant(undefined),
  });
}

let t: TestApp;
let cases: Case[];
let admin: CreatedTestUser;
let user: CreatedTestUser;

/**
 * Some operations end the caller's sessions (sign-out, a password change, deleting the account):
 * whoever was signed out is replaced, so every operation is reached signed in.
 */
async function signedIn(who: CreatedTestUser, role?: 'admin'): Promise<CreatedTestUser> {
  const res = await t.app.inject({ url: '/api/users/me', headers: bearer(who.token) });
  if (res.statusCode === 200) return who;
  return createTestUser(t, role ? { role } : {});
}

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, RATE_LIMIT_MAX: '10000000' } });
  const doc = (await t.app.inject({ url: '/api/docs/json' })).json<Document>();
  cases = Object.entries(doc.paths).flatMap(([path, item]) =>
    SKIPPED.some((re) => re.test(path))
      ? []
      : Object.entries(item)
          .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
          .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
  admin = await createTestUser(t, { role: 'admin' });
  user = await createTestUser(t);
}, 120_000);
afterAll(() => t?.close());

describe('random input to every operation', () => {
  it(
    'never answers 5xx, and answers only the media types the document declares for the status',
    { timeout: 600_000 },
    async () => {
      expect(cases.length).toBeGreaterThan(100);
      const failures: string[] = [];
      for (const [i, c] of cases.entries()) {
        admin = await signedIn(admin, 'admin');
        user = await signedIn(user);
        for (const who of [admin, user]) {
          await fc
            .assert(
              fc.asyncProperty(requestFor(c), async (input) => {
                const headers: Record<string, string> = {
                  ...bearer(who.token),
                  'idempotency-key': `fuzz-${i}-${Math.random()}`,
                };
                if (input.body !== undefined) headers['content-type'] = 'application/json';
                const res = await t.app.inject({
                  method: c.method as 'GET',
                  url: input.path,
                  query: input.query,
                  headers,
                  ...(input.body === undefined ? {} : { payload: JSON.stringify(input.body) }),
                });
                const type = String(res.headers['content-type'] ?? '');
                const declared = documentedTypes(c.op, res.statusCode);
                const truthful = res.body === '' || declared.some((d) => type.startsWith(d));
                if (res.statusCode >= 500 || !truthful) {
                  failures.push(
                    `${c.method} ${input.path} ${JSON.stringify(input.query)} ${JSON.stringify(input.body)?.slice(0, 300)} → ` +
                      `${res.statusCode} ${type} (documented: ${declared.join(', ') || 'nothing'}) ${res.body.slice(0, 200)}`,
                  );
                  return false;
                }
                return true;
              }),
              { numRuns: RUNS, seed: SEED + i, endOnFailure: true },
            )
            .catch(() => undefined);
        }
      }
      expect(failures, `seed ${SEED}`).toEqual([]);
    },
  );
});
