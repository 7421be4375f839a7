// Builds a small valid value for a JSON schema (the subset route schemas use), so the
// authorization matrix can reach a route's handler without a hand-written body per route.

type Schema = Record<string, unknown>;

const FORMATS: Record<string, string> = {
  email: 'matrix@example.com',
  uuid: '00000000-0000-7000-8000-000000000000',
  uri: 'https://example.com/a',
  'date-time': '2030-01-01T00:00:00.000Z',
  date: '2030-01-01',
};

function sampleString(s: Schema): string {
  if (typeof s.format === 'string' && FORMATS[s.format]) return FORMATS[s.format] ?? '';
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  return 'a'.repeat(Math.max(min, 1));
}

/** A value valid for `schema` when it uses only common keywords; undefined when it cannot tell. */
export function sampleValue(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as Schema;
  if ('default' in s) return s.default;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options)) {
      const usable = options.find((o) => (o as Schema).type !== 'null') ?? options[0];
      return sampleValue(usable);
    }
  }
  switch (s.type) {
    case 'string':
      return sampleString(s);
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: min }, () => sampleValue(s.items));
    }
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      const min = typeof s.minProperties === 'number' ? s.minProperties : 0;
      const keys = [...required];
      for (const k of Object.keys(props)) if (keys.length < min && !keys.includes(k)) keys.push(k);
      return Object.fromEntries(keys.map((k) => [k, sampleValue(props[k])]));
    }
    default:
      return undefined;
  }
}
