import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Type } from 'typebox';
import { modules } from '../../src/modules/index.ts';
import type { ModuleDefinition } from '../../src/platform/module.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

/** Routes of every shape (body, path parameter, empty 204), so the checks below see each one. */
const shapesModule: ModuleDefinition = {
  name: 'openapi-shapes',
  routes: async (app) => {
    const Thing = Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String() });
    app.post(
      '/api/test-shapes/things',
      {
        schema: {
          tags: ['test'],
          summary: 'Create a thing',
          body: Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
          response: { 201: Thing },
        },
      },
      async (request, reply) =>
        reply.status(201).send({ id: '0196f0c4-0000-7000-8000-000000000000', name: request.body.name }),
    );
    app.delete(
      '/api/test-shapes/things/:thingId',
      {
        schema: {
          tags: ['test'],
          summary: 'Delete a thing',
          params: Type.Object({ thingId: Type.String({ format: 'uuid' }) }),
          response: { 204: Type.Null() },
        },
      },
      async (_request, reply) => reply.status(204).send(null),
    );
  },
};

interface MediaType {
  schema?: { type?: string; properties?: object; additionalProperties?: unknown };
}
interface Operation {
  summary?: string;
  tags?: string[];
  responses?: Record<string, { description: string; content?: Record<string, MediaType> }>;
  requestBody?: { content: Record<string, MediaType> };
}
interface Document {
  openapi: string;
  paths?: Record<string, Partial<Record<(typeof HTTP_METHODS)[number], Operation>>>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
// Statuses that carry no body, so a response without a schema is the declaration itself.
const EMPTY_STATUSES = new Set(['101', '204', '205', '304']);

/**
 * Every (method, path) the router serves, read from `printRoutes`: it lists each node of the
 * route tree on its own line, indented four characters per level, with its methods in brackets.
 */
function routesFromTree(tree: string): { method: string; path: string }[] {
  const stack: string[] = [];
  const routes: { method: string; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(match[2] ?? '');
    const path = stack.join('');
    for (const method of (match[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean)) {
      routes.push({ method, path });
    }
  }
  return routes;
}

const operations = (doc: Document) =>
  Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const op = item?.[method];
      return op ? [{ method: method.toUpperCase(), path, op }] : [];
    }),
  );

/** What a reader of the document would miss about one operation; empty when it is complete. */
function operationProblems(method: string, path: string, op: Operation): string[] {
  const problems: string[] = [];
  const name = `${method} ${path}`;
  if (!op.summary) problems.push(`${name} has no summary`);
  if (!op.tags?.length) problems.push(`${name} has no tags`);
  const responses = Object.entries(op.responses ?? {});
  if (responses.length === 0) problems.push(`${name} declares no response`);
  for (const [status, response] of responses) {
    const schemas = Object.values(response.content ?? {}).filter((media) => media.schema);
    if (schemas.length === 0 && !EMPTY_STATUSES.has(status)) problems.push(`${name} ${status} has no response schema`);
  }
  if (op.requestBody) {
    const body = op.requestBody.content['application/json']?.schema;
    if (!body) problems.push(`${name} has a request body without a JSON schema`);
    else if (body.type === 'object' && body.additionalProperties !== false) {
      problems.push(`${name} request body accepts unknown fields`);
    }
  }
  return problems;
}

// Its own client address: with Redis the global rate limit is shared by every app on that server.
const CLIENT = `10.77.${randomInt(256)}.${randomInt(1, 255)}`;
let t: TestApp;
let doc: Document;

beforeAll(async () => {
  t = await createTestApp({ modules: [...modules, shapesModule] });
  const res = await t.app.inject({ url: '/api/docs/json', remoteAddress: CLIENT });
  expect(res.statusCode).toBe(200);
  doc = res.json<Document>();
});

afterAll(async () => {
  await t.close();
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('documents every route the server answers, with its method', () => {
    const served = routesFromTree(t.app.printRoutes({ commonPrefix: false })).filter(
      // HEAD mirrors GET; the docs UI's own files and the CORS preflight catch-all are not API.
      (r) => r.method !== 'HEAD' && !r.path.startsWith('/api/docs') && !(r.method === 'OPTIONS' && r.path === '*'),
    );
    expect(served).toEqual(expect.arrayContaining([{ method: 'GET', path: '/health/ready' }]));
    expect(served).toEqual(expect.arrayContaining([{ method: 'DELETE', path: '/api/test-shapes/things/:thingId' }]));

    const documented = new Set(operations(doc).map((o) => `${o.method} ${o.path.replace(/\{(\w+)\}/g, ':$1')}`));
    const missing = served.map((r) => `${r.method} ${r.path}`).filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });

  it('gives every operation a summary, tags, response schemas and a strict request body schema', () => {
    const ops = operations(doc);
    expect(ops.find((o) => o.method === 'POST' && o.path === '/api/test-shapes/things')?.op.requestBody).toBeDefined();
    expect(ops.flatMap((o) => operationProblems(o.method, o.path, o.op))).toEqual([]);
  });

  it('never marks a member with a default as required (the server fills it in)', () => {
    interface Parameter {
      name: string;
      in: string;
      required?: boolean;
      schema?: { default?: unknown };
    }
    const ops = operations(doc) as { method: string; path: string; op: Operation & { parameters?: Parameter[] } }[];
    const requiredWithDefault = ops.flatMap(({ method, path, op }) => [
      ...(op.parameters ?? [])
        .filter((p) => p.in === 'query' && p.required && p.schema?.default !== undefined)
        .map((p) => `${method} ${path} query.${p.name}`),
      ...Object.values(op.requestBody?.content ?? {}).flatMap((media) => {
        const body = media.schema as { required?: string[]; properties?: Record<string, { default?: unknown }> };
        return (body?.required ?? [])
          .filter((name) => body.properties?.[name]?.default !== undefined)
          .map((name) => `${method} ${path} body.${name}`);
      }),
    ]);
    expect(requiredWithDefault).toEqual([]);
    const purchase = ops.find((o) => o.method === 'POST' && o.path === '/api/packs/{id}/purchase')?.op;
    const body = purchase?.requestBody?.content['application/json']?.schema as { properties?: object; required?: [] };
    expect(body.properties).toHaveProperty('quantity');
    expect(body.required ?? []).not.toContain('quantity');
    const list = ops.find((o) => o.method === 'GET' && o.path === '/api/admin/audit')?.op as {
      parameters?: Parameter[];
    };
    expect(list.parameters?.find((p) => p.name === 'limit')).toMatchObject({ in: 'query', required: false });
  });

  it('documents the failures every operation shares as problem+json', () => {
    const ops = operations(doc);
    const problemOf = (op: Operation, status: string) =>
      op.responses?.[status]?.content?.['application/problem+json']?.schema?.properties;
    const undocumented = ops.filter((o) => !problemOf(o.op, 'default')).map((o) => `${o.method} ${o.path}`);
    expect(undocumented).toEqual([]);
    const find = (method: string, path: string) => ops.find((o) => o.method === method && o.path === path)?.op;
    const transfer = find('POST', '/api/wallet/transfer');
    expect(transfer && problemOf(transfer, '400')).toHaveProperty('errors');
    expect(transfer && problemOf(transfer, '401')).toHaveProperty('code');
    expect(transfer && problemOf(transfer, '429')).toHaveProperty('code');
    const audit = find('GET', '/api/admin/audit');
    expect(audit && problemOf(audit, '403')).toHaveProperty('code');
    // Public routes cannot answer 401; a route outside the request limit cannot answer 429.
    const catalogue = find('GET', '/api/cards');
    expect(catalogue?.responses).not.toHaveProperty('401');
    expect(find('GET', '/health/live')?.responses).not.toHaveProperty('429');
  });

  it('flags an operation whose schemas are missing', () => {
    const bare: Operation = {
      responses: { 200: { description: 'Default Response' } },
      requestBody: { content: { 'application/json': { schema: { type: 'object', properties: {} } } } },
    };
    expect(operationProblems('POST', '/x', bare)).toEqual([
      'POST /x has no summary',
      'POST /x has no tags',
      'POST /x 200 has no response schema',
      'POST /x request body accepts unknown fields',
    ]);
  });

  it('serves the interactive docs as HTML', async () => {
    const page = await t.app.inject({ url: '/api/docs', remoteAddress: CLIENT });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-initializer.js');
  });
});
