import pino, { type LoggerOptions } from 'pino';
import type { Config } from '../config.ts';

/** Query parameters whose values never reach a log line. */
const SECRET_QUERY = /([?&](?:token|access_token|refresh_token|code|password|secret|signature)=)[^&#]*/gi;

/** A checkout link's last segment is its bearer token (the sandbox's pay/decline links carry it). */
const CHECKOUT_TOKEN = /(\/checkout\/)[^/?#]+/gi;

export const redactUrl = (url: string) =>
  url.replace(SECRET_QUERY, '$1[REDACTED]').replace(CHECKOUT_TOKEN, '$1[REDACTED]');

/** Paths pino blanks out wherever they appear in a log object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  // Payout destination details (request bodies, a provider's payout request) never reach a log line.
  '*.destination',
  '*.iban',
  '*.accountNumber',
  '*.routingNumber',
  '*.holderName',
  'password',
  'token',
  'accessToken',
  'refreshToken',
];

export function loggerOptions(config: Pick<Config, 'LOG_LEVEL'>): LoggerOptions {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: {
      req(req: { method: string; url: string; id: string; ip?: string; socket?: { remoteAddress?: string } }) {
        return { id: req.id, method: req.method, url: redactUrl(req.url), remoteAddress: req.ip };
      },
      err: pino.stdSerializers.err,
    },
  };
}

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, destination?: pino.DestinationStream) {
  return destination ? pino(loggerOptions(config), destination) : pino(loggerOptions(config));
}
