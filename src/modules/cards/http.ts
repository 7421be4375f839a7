import type { FastifyInstance, FastifyReply } from 'fastify';
import { etagOf, type CachedJson } from './cache.ts';

/** Whether an If-None-Match header names this entity tag (weak comparison, `*` matches anything). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === bare;
  });
}

/**
 * Every successful GET of this module carries an ETag; a request whose If-None-Match names it gets
 * 304 without a body. Bodies served from the cache bring their tag; others are hashed here.
 */
export function installEtags(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) return payload;
    let etag = reply.getHeader('etag');
    if (typeof etag !== 'string') {
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
      etag = etagOf(payload);
      void reply.header('etag', etag);
    }
    // Clients may keep a copy but must revalidate it: the tag makes that cheap.
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-cache');
    if (!etagMatches(request.headers['if-none-match'], etag)) return payload;
    void reply.code(304);
    return '';
  });
}

/** Replies with a cached JSON body and its tag. */
export function sendCached(reply: FastifyReply, cached: CachedJson): FastifyReply {
  return reply.header('etag', cached.etag).type('application/json; charset=utf-8').send(cached.body);
}

/** Marks a reply as personal: shared caches must not keep it. */
export function personal(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'private, no-cache');
}
