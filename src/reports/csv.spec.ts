import { csvField, csvRecord } from './csv';

describe('CSV (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    [null, ''],
    [undefined, ''],
    [42, '42'],
    ['1.50', '1.50'],
    ['Acme, Inc.', '"Acme, Inc."'],
    ['Rocket "Alpha"', '"Rocket ""Alpha"""'],
    ['two\nlines', '"two\nlines"'],
    ['carriage\rreturn', '"carriage\rreturn"'],
    ['a;b', '"a;b"'],
    ['tab\there', '"tab\there"'],
    ['a-b', 'a-b'],
    ['x=1', 'x=1'],
  ])('writes %p as %p', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+31 20 123', "'+31 20 123"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', `"'\t'=1"`],
    ['Review;=HYPERLINK("http://x","y")', `"Review;'=HYPERLINK(""http://x"",""y"")"`],
    ['a;-1', `"a;'-1"`],
    ['a;\t=1', `"a;'\t'=1"`],
    ['one\r\n@two', `"one\r\n'@two"`],
    ['x;"=1"', `"x;'""=1"""`],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
  ])('neutralizes the formula %p as %p', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('ends records with CRLF', () => {
    expect(csvRecord(['a', 'b,c', null, 3])).toBe('a,"b,c",,3\r\n');
  });
});
