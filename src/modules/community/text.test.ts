import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainText } from './text.ts';

describe('plainText', () => {
  it('never keeps a control character or bidirectional override, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (raw) => {
        const clean = plainText(raw);
        // eslint-disable-next-line no-control-regex -- the property is about control characters
        expect(clean).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\r]/);
        expect(plainText(clean)).toBe(clean);
      }),
    );
  });

  it('keeps text, markup characters and line breaks as they are', () => {
    expect(plainText('  <script>alert(1)</script>\r\nnext\tline  ')).toBe('<script>alert(1)</script>\nnext\tline');
  });
});
