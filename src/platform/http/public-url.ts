import type { Config } from '../../config.ts';

/** This API's public base (links in mail, a payment provider's return pages): PUBLIC_URL, or its own address. */
export function publicBaseUrl(config: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '');
}
