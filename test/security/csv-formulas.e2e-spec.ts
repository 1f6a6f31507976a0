import { Factory } from '../factories';
import { Team } from '../support/actors';
import { bootApp, TestApp } from '../support/app';
import { block, reportTeam } from '../reports/support';

/**
 * Cells as a spreadsheet reads the file with `separator`: quotes honoured (RFC 4180), every
 * other occurrence of the separator starts a new cell.
 */
function cellsOf(csv: string, separator: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const char = csv[i];
    if (quoted) {
      if (char === '"' && csv[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell === '') quoted = true;
    else if (char === separator || char === '\n') {
      cells.push(cell.replace(/\r$/, ''));
      cell = '';
    } else cell += char;
  }
  return cells;
}

/*
 * A member titles blocks so that the admin's spreadsheet runs them as formulas. Spreadsheets in
 * many locales split a .csv at `;` (or tabs), which makes a new cell of whatever follows one:
 * read either way, no cell of the export may start a formula.
 */
describe('security: the CSV export runs no formula, whatever the separator', () => {
  let t: TestApp;
  let team: Team;

  beforeAll(async () => {
    t = await bootApp();
    const factory = new Factory(t.dataSource);
    team = await reportTeam(t, factory);
    const org = team.organization;
    const client = await factory.client(org, { name: 'Acme;@SUM(1+1)*cmd' });
    const project = await factory.project(org, { name: 'Ops\t=1+1', client });
    const titles = [
      'Review;=HYPERLINK("http://evil.example","x")',
      'a;+cmd|calc',
      'b;-2+3',
      'c;@SUM(A1)',
      'd;\t=1+1',
      'e\t=1+1',
      '=plain',
    ];
    for (const [i, title] of titles.entries()) {
      await block(
        factory,
        org,
        team.member.user,
        `2025-03-03T0${i}:00:00Z`,
        `2025-03-03T0${i}:30:00Z`,
        { title, project },
      );
    }
  });
  afterAll(() => t?.close());

  it.each([
    ['comma', ','],
    ['semicolon', ';'],
    ['tab', '\t'],
  ])('read with a %s separator', async (_name, separator) => {
    const response = await team.admin
      .get(team.url('/reports/export.csv?from=2025-03-03&to=2025-03-04'))
      .expect(200);
    const csv = response.text;
    expect(csv).toContain("Review;'=HYPERLINK");
    const cells = cellsOf(csv, separator);
    const formulas = cells.filter((cell) => /^[=+\-@\t\r]/.test(cell));
    expect(formulas).toEqual([]);
    // The guarded text is all there, shown as text.
    expect(cells.filter((cell) => cell.startsWith("'")).length).toBeGreaterThan(0);
  });
});
