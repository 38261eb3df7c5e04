import { acceptablePassword, meetsOwaspMinimum, normalizePassword, passwordLength, passwordProblem, PASSWORD_MAX_LENGTH } from '../../src/domain/passwords';
import { COMMON_PASSWORDS } from '../../src/domain/common-passwords';

describe('what a password may be', () => {
  it('accepts a passphrase of ordinary words, with no rule about digits or capitals', () => {
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
    expect(acceptablePassword('correct horse battery staple')).toBe('correct horse battery staple');
  });

  it('counts characters after NFKC normalization, not UTF-16 units or bytes', () => {
    expect(passwordLength('🦊🐻🐼🐨🐯🦁🐮🐷')).toBe(8);
    expect(passwordProblem('🦊🐻🐼🐨🐯🦁🐮')).toBe('too_short');
    expect(passwordLength('e\u0301')).toBe(1);
    expect(passwordProblem('a'.repeat(PASSWORD_MAX_LENGTH - 1) + 'b')).toBeUndefined();
    expect(passwordProblem('ab'.repeat(PASSWORD_MAX_LENGTH / 2) + 'c')).toBe('too_long');
  });

  it('treats the same password typed two ways as one: precomposed or combining accents, full-width letters', () => {
    expect(normalizePassword('cafe\u0301 olé')).toBe(normalizePassword('café ol\u0065\u0301'));
    expect(normalizePassword('ｐａｓｓ１２３４')).toBe('pass1234');
  });

  it('refuses the common passwords of the shipped list in any case, and plain repeats and runs', () => {
    expect(COMMON_PASSWORDS.size).toBe(5000);
    for (const p of ['password', 'PASSWORD', 'Iloveyou', 'qwertyuiop', '1qaz2wsx', 'aaaaaaaa', '87654321', 'abcdefghij']) {
      expect([p, passwordProblem(p)]).toEqual([p, 'common']);
    }
    expect(passwordProblem('abcdefgz walrus')).toBeUndefined();
  });

  it('refuses the e-mail address or its local part as the password', () => {
    expect(passwordProblem('Ada.Lovelace', 'ada.lovelace@example.com')).toBe('same_as_email');
    expect(passwordProblem('ada.lovelace@example.com', 'ada.lovelace@example.com')).toBe('same_as_email');
  });

  it('says what to do instead, with the reason in the details', () => {
    expect(() => acceptablePassword('short')).toThrow(expect.objectContaining({ code: 'weak_password', details: expect.objectContaining({ reason: 'too_short' }) }));
  });
});

describe("OWASP's argon2id minimums", () => {
  it('are met by the default cost and by any of the listed settings, and not below them', () => {
    expect(meetsOwaspMinimum({ memoryKiB: 65536, iterations: 3 })).toBe(true);
    expect(meetsOwaspMinimum({ memoryKiB: 19456, iterations: 2 })).toBe(true);
    expect(meetsOwaspMinimum({ memoryKiB: 47104, iterations: 1 })).toBe(true);
    expect(meetsOwaspMinimum({ memoryKiB: 19456, iterations: 1 })).toBe(false);
    expect(meetsOwaspMinimum({ memoryKiB: 8192, iterations: 3 })).toBe(false);
  });
});
