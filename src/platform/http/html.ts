import { Type } from 'typebox';

/*
 * The few HTML pages the service serves itself (the sandbox checkout, the pages mailed links open
 * when no front end is configured): one plain layout, every interpolated value escaped.
 */

export const Html = Type.String({ description: 'An HTML page' });

const page = (description: string) => ({ description, content: { 'text/html': { schema: Html } } });

/**
 * What a page route answers, for the document: the page, and a refusal (an expired or used link, a
 * weak password) as a page saying so, since a browser shows it; malformed input stays problem+json.
 */
export const pageResponses = {
  200: page('The page'),
  '4xx': page('A page saying why the request was refused'),
};

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A whole page; `body` is trusted markup (escape what goes into it). */
export const htmlPage = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
  `<title>${escapeHtml(title)}</title></head>` +
  `<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">${body}</body></html>`;
