import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** One field that failed validation, named by its location (`body.email`, `query.limit`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * A failure the caller can act on. Modules subclass it per error code; the one error handler turns
 * it into RFC 9457 problem+json.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', 404, `${what} was not found`);
  }
}

export class ValidationError extends AppError {
  constructor(detail: string, errors: FieldProblem[] = []) {
    super('validation_failed', 400, detail, { errors });
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = 'Authentication is required') {
    super('unauthorized', 401, detail, {}, { 'www-authenticate': 'Bearer' });
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = 'You are not allowed to do this') {
    super('forbidden', 403, detail);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(code, 409, detail, extra);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance: string;
  requestId: string;
  [key: string]: unknown;
}

/** RFC 9457's members and ours that an error's extra fields may never overwrite. */
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'code', 'detail', 'instance', 'requestId']);

/** An error's extra fields, those named like a standard member renamed `current<Name>` (a state, say). */
function extraMembers(extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) {
    out[STANDARD_MEMBERS.has(key) ? `current${key[0]?.toUpperCase() ?? ''}${key.slice(1)}` : key] = value;
  }
  return out;
}

function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  const body: Problem = {
    ...extraMembers(extra),
    type: `https://docs.ece-trading-cards.example/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    requestId: String(request.id),
  };
  return reply.status(status).type(PROBLEM_CONTENT_TYPE).send(body);
}

interface AjvLikeError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns ajv errors into `{field, message}` pairs that name the exact field. */
export function fieldProblems(context: string, errors: AjvLikeError[]): FieldProblem[] {
  return errors.map((e) => {
    const parts = e.instancePath.split('/').filter(Boolean);
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') parts.push(e.params.missingProperty);
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      parts.push(e.params.additionalProperty);
      return { field: [context, ...parts].join('.'), message: 'is not allowed' };
    }
    return { field: [context, ...parts].join('.'), message: e.message ?? 'is invalid' };
  });
}

/** The names callers use for each request part: `query.limit`, not Fastify's `querystring.limit`. */
const PART_NAMES: Record<string, string> = { querystring: 'query' };

const PARTS = [
  { part: 'params', data: (r: FastifyRequest): unknown => r.params },
  { part: 'body', data: (r: FastifyRequest): unknown => r.body ?? null },
  { part: 'querystring', data: (r: FastifyRequest): unknown => r.query },
  { part: 'headers', data: (r: FastifyRequest): unknown => r.headers },
] as const;

/**
 * Fastify stops at the first request part that fails; the caller should learn every bad field at
 * once, so the other parts are checked too. A body schema split by media type is not a single
 * function and is left to its own pass.
 */
function otherPartProblems(request: FastifyRequest, failed: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const { part, data } of PARTS) {
    if (part === failed) continue;
    const validate = request.getValidationFunction(part);
    if (typeof validate !== 'function' || validate(data(request))) continue;
    problems.push(...fieldProblems(PART_NAMES[part] ?? part, (validate.errors ?? []) as AjvLikeError[]));
  }
  return problems;
}

/** Fastify's own error codes mapped to a stable problem code. */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The body is not valid JSON' },
};

/**
 * Failures the router meets before any route runs (Fastify's `frameworkErrors`): a path parameter
 * longer than the router takes is a 414, a URL that does not decode a 400, both as problem+json.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendProblem(request, reply, 414, 'uri_too_long', 'A path segment is longer than this API accepts');
  }
  if (error.code === 'FST_ERR_BAD_URL') return sendProblem(request, reply, 400, 'bad_url', 'The URL does not decode');
  return sendProblem(request, reply, error.statusCode ?? 400, 'bad_request', error.message);
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    detail: 'The request headers are larger than this API accepts',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', detail: 'The request did not arrive in time' },
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers too large, a timeout, bytes
 * that are not HTTP): answered on the raw socket, still as problem+json, then the socket closes.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Duplex) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = error.code ? CLIENT_ERRORS[error.code] : undefined;
  const { status, code, detail } = known ?? {
    status: 400,
    code: 'bad_request',
    detail: 'The request is not valid HTTP',
  };
  const body = JSON.stringify({
    type: `https://docs.ece-trading-cards.example/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
  });
  this.log.debug({ err: error }, 'refused before routing');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Installs the one error handler and the 404 handler: every failure leaves as problem+json. */
export function installProblemHandlers(app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, 'route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`),
  );

  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      for (const [k, v] of Object.entries(error.headers)) void reply.header(k, v);
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return sendProblem(request, reply, error.status, error.code, error.message, error.extra);
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const failed = fe.validationContext ?? 'body';
      const errors = [
        ...fieldProblems(PART_NAMES[failed] ?? failed, fe.validation as AjvLikeError[]),
        ...otherPartProblems(request, failed),
      ];
      const names = [...new Set(errors.map((e) => e.field))].join(', ');
      return sendProblem(request, reply, 400, 'validation_failed', `Invalid request: ${names}`, { errors });
    }
    const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    if (known) return sendProblem(request, reply, known.status, known.code, known.detail ?? fe.message);
    if (error instanceof SyntaxError && fe.statusCode === 400) {
      return sendProblem(request, reply, 400, 'malformed_json', 'The body is not valid JSON');
    }
    const status = fe.statusCode ?? 500;
    if (status === 429) return sendProblem(request, reply, 429, 'rate_limited', fe.message);
    if (status >= 400 && status < 500) {
      return sendProblem(request, reply, status, 'bad_request', fe.message);
    }
    // Anything else is ours: the log keeps the detail, the caller gets only the request id.
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 500, 'internal_error', 'An unexpected error occurred');
  });
}
