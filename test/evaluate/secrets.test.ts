import { describe, expect, it } from 'vitest';
import { looksSecret } from '../../lib/evaluate/secrets.js';

describe('secrets.ts', () => {
  it.each([
    ['user and password', 'http://svc:s3cr3t@proxy:3128'],
    ['an empty user and a token', 'http://:s3cr3tTok@proxy:3128'],
    ['a token as the user', 'http://ghp_abcdEFGH1234@proxy:3128'],
    ['a space in the password', 'http://svc:pa ss@proxy:3128'],
    ['a line break in the password', 'http://svc:p\nw@proxy:3128'],
    ['a slash in the password', 'https://svc:pa/ss@proxy:3128'],
    ['a percent-encoded password', 'http://svc:p%40ss@proxy:3128'],
  ])('withholds a URL with userinfo whatever its key: %s', (_, value) => {
    // Act + Assess: HTTPS_PROXY is not a secret-looking name; the value is
    expect(looksSecret('HTTPS_PROXY', value)).toBe(true);
  });

  it('keeps the values that hold no credential', () => {
    expect(looksSecret('HTTPS_PROXY', 'http://proxy.internal:3128')).toBe(false);
    expect(looksSecret('NO_PROXY', '169.254.169.254,10.0.0.0/8,.svc')).toBe(false);
    expect(looksSecret('WARM_IP_TARGET', '5')).toBe(false);
  });

  it('withholds by key name and by AWS access key id', () => {
    expect(looksSecret('AWS_SECRET_ACCESS_KEY', 'x')).toBe(true);
    expect(looksSecret('X', 'AKIAABCDEFGHIJKLMNOP')).toBe(true);
  });
});
