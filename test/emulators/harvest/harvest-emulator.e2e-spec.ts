/**
 * The Harvest emulator over HTTP, as a client sees it: Harvest ID OAuth and accounts, the
 * required User-Agent and Harvest-Account-Id, cursor pages, time entries with their
 * external_reference object, locks and invoices, the rate limit with Retry-After seconds, faults
 * in Harvest's shapes and the "as a Harvest user" controls.
 */
import * as http from 'node:http';
import { HarvestAccount, harvestFaults, HarvestEmulator, startHarvestEmulator } from './index';

describe('Harvest emulator', () => {
  let hv: HarvestEmulator;
  let account: HarvestAccount;
  let token: string;
  let projectId: number;
  let designTaskId: number;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string | undefined> = {},
  ) => {
    const all: Record<string, string | undefined> = {
      Authorization: `Bearer ${token}`,
      'Harvest-Account-Id': String(account.id),
      'User-Agent': 'danwel-spec (spec@danwel.test)',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    };
    const response = await fetch(path.startsWith('http') ? path : `${hv.apiUrl}${path}`, {
      method,
      headers: Object.fromEntries(
        Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
    };
  };

  const entry = (overrides: Record<string, unknown> = {}) => ({
    project_id: projectId,
    task_id: designTaskId,
    spent_date: '2026-03-10',
    hours: 1.25,
    notes: 'Design review',
    external_reference: {
      id: 'danwel-block-7',
      group_id: 'danwel',
      account_id: '12',
      permalink: 'https://danwel.test/blocks/7',
    },
    ...overrides,
  });

  beforeEach(async () => {
    hv = await startHarvestEmulator({ now: () => Date.parse('2026-03-15T12:00:00Z') });
    account = hv.addAccount({ name: 'Acme', members: ['ann@acme.test'] });
    const client = hv.addClient(account.id, { name: 'Globex' });
    const project = hv.addProject(account.id, { name: 'Website', clientId: client.id });
    projectId = project.id;
    const design = hv.addTask(account.id, { name: 'Design' });
    const admin = hv.addTask(account.id, { name: 'Admin', billableByDefault: false });
    hv.assignTask(account.id, project.id, admin.id);
    hv.assignTask(account.id, project.id, design.id);
    designTaskId = design.id;
    token = hv.issueTokens({ email: 'ann@acme.test' }).access_token;
  });

  afterEach(() => hv.stop());

  it('runs the OAuth code flow, refreshes, and lists accounts of both products', async () => {
    hv.addAccount({ name: 'Acme Forecast', product: 'forecast', members: ['ann@acme.test'] });
    const redirectUri = 'http://127.0.0.1/callback';
    const authorize = new URL(hv.authorizeUrl);
    authorize.search = new URLSearchParams({
      client_id: hv.app.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      state: 'xyz',
    }).toString();
    const consent = await fetch(authorize, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('xyz');
    const code = back.searchParams.get('code')!;

    const tokenCall = (form: Record<string, string>) =>
      fetch(hv.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'spec' },
        body: JSON.stringify({
          client_id: hv.app.clientId,
          client_secret: hv.app.clientSecret,
          ...form,
        }),
      });
    const first = await tokenCall({ grant_type: 'authorization_code', code });
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 1209600 });
    expect((await tokenCall({ grant_type: 'authorization_code', code })).status).toBe(400);

    const refreshed = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token as string,
    });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as Record<string, string>;

    const accounts = await fetch(hv.accountsUrl, {
      headers: { Authorization: `Bearer ${next.access_token}`, 'User-Agent': 'spec' },
    });
    expect(await accounts.json()).toMatchObject({
      user: { email: 'ann@acme.test' },
      accounts: [
        { id: account.id, name: 'Acme', product: 'harvest' },
        { name: 'Acme Forecast', product: 'forecast' },
      ],
    });
    const bad = await tokenCall({ grant_type: 'refresh_token', refresh_token: 'nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('requires a User-Agent and a reachable Harvest-Account-Id', async () => {
    // fetch always sends a User-Agent of its own: node:http sends none unless told.
    const withoutAgent = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        `${hv.apiUrl}/users/me`,
        { headers: { Authorization: `Bearer ${token}`, 'Harvest-Account-Id': String(account.id) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
    });
    expect(withoutAgent).toBe(400);
    for (const accountId of [undefined, '999', String(account.id + 1)]) {
      const answer = await call('GET', '/users/me', undefined, { 'Harvest-Account-Id': accountId });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_token' });
    }
    const me = await call('GET', '/users/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'ann@acme.test', is_active: true });
    expect(hv.requests.at(-1)?.headers).toEqual({
      userAgent: 'danwel-spec (spec@danwel.test)',
      accountId: String(account.id),
    });
  });

  it('pages clients newest first with a cursor in links.next, filtered by is_active and updated_since', async () => {
    const names = ['B', 'C', 'D', 'E'].map((name) => hv.addClient(account.id, { name }).id);
    const first = await call('GET', '/clients?per_page=2');
    expect(first.body.clients.map((c: { name: string }) => c.name)).toEqual(['E', 'D']);
    expect(first.body).toMatchObject({ per_page: 2, total_entries: 5, total_pages: 3, page: 1 });
    const nextUrl = new URL(first.body.links.next as string);
    expect(nextUrl.searchParams.get('cursor')).toBeTruthy();
    expect(nextUrl.searchParams.get('page')).toBeNull();
    const second = await call('GET', first.body.links.next as string);
    expect(second.body.clients.map((c: { name: string }) => c.name)).toEqual(['C', 'B']);
    const third = await call('GET', second.body.links.next as string);
    expect(third.body.clients.map((c: { name: string }) => c.name)).toEqual(['Globex']);
    expect(third.body.links.next).toBeNull();

    hv.advanceTime(60_000);
    hv.editClient(account.id, names[1], { isActive: false });
    const since = new Date(hv.now() - 1000).toISOString();
    const changed = await call('GET', `/clients?updated_since=${encodeURIComponent(since)}`);
    expect(changed.body.clients).toEqual([
      expect.objectContaining({ id: names[1], name: 'C', is_active: false }),
    ]);
    const active = await call('GET', '/clients?is_active=true');
    expect(active.body.total_entries).toBe(4);
    expect((await call('GET', '/clients?per_page=2001')).status).toBe(422);
  });

  it('lists projects with their client and task assignments with the billable flag', async () => {
    const projects = await call('GET', '/projects');
    expect(projects.body.projects).toEqual([
      expect.objectContaining({
        id: projectId,
        name: 'Website',
        is_active: true,
        client: expect.objectContaining({ name: 'Globex' }),
      }),
    ]);
    const assignments = await call('GET', `/projects/${projectId}/task_assignments`);
    expect(assignments.body.task_assignments).toEqual([
      expect.objectContaining({ billable: true, task: { id: designTaskId, name: 'Design' } }),
      expect.objectContaining({
        billable: false,
        task: expect.objectContaining({ name: 'Admin' }),
      }),
    ]);
    expect((await call('GET', '/projects/123/task_assignments')).status).toBe(404);
    expect((await call('GET', '/projects/123')).body).toEqual({ status: 404, error: 'Not Found' });
    const users = await call('GET', '/users');
    expect(users.body.users).toEqual([expect.objectContaining({ email: 'ann@acme.test' })]);
  });

  it('lists every project’s task assignments account-wide, each with its project, by cursor', async () => {
    const client = [...account.clients.values()][0];
    const other = hv.addProject(account.id, { name: 'App', clientId: client.id, code: 'APP' });
    const build = hv.addTask(account.id, { name: 'Build' });
    hv.assignTask(account.id, other.id, build.id);
    hv.assignTask(account.id, other.id, designTaskId, { isActive: false });

    const first = await call('GET', '/task_assignments?per_page=2');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ per_page: 2, total_entries: 4, total_pages: 2, page: 1 });
    expect(first.body.task_assignments).toEqual([
      expect.objectContaining({
        is_active: false,
        project: { id: other.id, name: 'App', code: 'APP' },
        task: { id: designTaskId, name: 'Design' },
      }),
      expect.objectContaining({ is_active: true, task: { id: build.id, name: 'Build' } }),
    ]);
    const second = await call('GET', first.body.links.next as string);
    expect(
      second.body.task_assignments.map((a: { project: { id: number } }) => a.project.id),
    ).toEqual([projectId, projectId]);
    expect(second.body.links.next).toBeNull();

    const active = await call('GET', '/task_assignments?is_active=true');
    expect(active.body.total_entries).toBe(3);
    expect((await call('GET', '/task_assignments?per_page=0')).status).toBe(422);
    expect((await call('GET', '/task_assignments?is_active=maybe')).status).toBe(422);
    expect((await call('GET', '/task_assignments?cursor=nope')).status).toBe(422);
    expect((await call('POST', '/task_assignments', {})).status).toBe(404);
    expect((await call('GET', '/task_assignments/1')).status).toBe(404);
  });

  it('creates time entries with decimal hours and an external_reference object, found by its id', async () => {
    const created = await call('POST', '/time_entries', entry());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      spent_date: '2026-03-10',
      hours: 1.25,
      notes: 'Design review',
      billable: true,
      is_locked: false,
      is_billed: false,
      invoice: null,
      project: { id: projectId },
      task: { id: designTaskId },
      user: { name: 'ann' },
      external_reference: {
        id: 'danwel-block-7',
        group_id: 'danwel',
        permalink: 'https://danwel.test/blocks/7',
        service: 'danwel.test',
      },
    });
    await call('POST', '/time_entries', entry({ external_reference: undefined }));
    const found = await call('GET', '/time_entries?external_reference_id=danwel-block-7');
    expect(found.body.time_entries).toEqual([
      expect.objectContaining({ id: created.body.id as number }),
    ]);
    expect(found.body).toMatchObject({ page: 1, total_entries: 1, next_page: null });
    expect((await call('GET', '/time_entries')).body.total_entries).toBe(2);

    const invalid = await call('POST', '/time_entries', { hours: 1 });
    expect(invalid.status).toBe(422);
    expect(invalid.body.message).toMatch(/Project can't be blank/);
    const unassigned = hv.addTask(account.id, { name: 'Unassigned' });
    expect((await call('POST', '/time_entries', entry({ task_id: unassigned.id }))).status).toBe(
      422,
    );
    expect(
      (await call('POST', '/time_entries', entry({ external_reference: 'danwel-block-7' }))).status,
    ).toBe(422);
  });

  it('pages time entries by number, with links.next', async () => {
    for (const day of ['01', '02', '03']) {
      await call('POST', '/time_entries', entry({ spent_date: `2026-03-${day}` }));
    }
    const first = await call('GET', '/time_entries?per_page=2');
    expect(first.body.time_entries.map((e: { spent_date: string }) => e.spent_date)).toEqual([
      '2026-03-03',
      '2026-03-02',
    ]);
    expect(new URL(first.body.links.next as string).searchParams.get('page')).toBe('2');
    const second = await call('GET', first.body.links.next as string);
    expect(second.body.time_entries).toHaveLength(1);
    expect(second.body.links.next).toBeNull();
  });

  it('updates and deletes entries; locked and invoiced ones refuse PATCH and DELETE', async () => {
    const a = (await call('POST', '/time_entries', entry())).body as { id: number };
    const patched = await call('PATCH', `/time_entries/${a.id}`, { hours: 2, notes: 'More' });
    expect(patched.body).toMatchObject({ hours: 2, notes: 'More', spent_date: '2026-03-10' });

    hv.lock(account.id, a.id);
    const locked = await call('GET', `/time_entries/${a.id}`);
    expect(locked.body).toMatchObject({ is_locked: true, is_closed: true });
    expect(locked.body.locked_reason).toMatch(/Locked/);
    expect((await call('PATCH', `/time_entries/${a.id}`, { hours: 3 })).status).toBe(422);
    expect((await call('DELETE', `/time_entries/${a.id}`)).status).toBe(422);

    const b = (await call('POST', '/time_entries', entry())).body as { id: number };
    const invoice = hv.invoice(account.id, [b.id]);
    const billed = await call('GET', `/time_entries/${b.id}`);
    expect(billed.body).toMatchObject({ is_billed: true, is_locked: true, invoice });
    expect((await call('PATCH', `/time_entries/${b.id}`, { notes: 'x' })).status).toBe(422);
    expect((await call('GET', '/time_entries?is_billed=true')).body.total_entries).toBe(1);

    const c = (await call('POST', '/time_entries', entry())).body as { id: number };
    const deleted = await call('DELETE', `/time_entries/${c.id}`);
    expect(deleted.status).toBe(200);
    expect((await call('GET', `/time_entries/${c.id}`)).status).toBe(404);
    expect((await call('DELETE', `/time_entries/${c.id}`)).status).toBe(404);
  });

  it('lets a Harvest user edit and delete entries behind the client', async () => {
    const a = (await call('POST', '/time_entries', entry())).body as { id: number };
    hv.advanceTime(1000);
    hv.asUser(account.id).edit(a.id, { notes: 'Renamed in Harvest' });
    const since = new Date(hv.now()).toISOString();
    const changed = await call('GET', `/time_entries?updated_since=${encodeURIComponent(since)}`);
    expect(changed.body.time_entries).toEqual([
      expect.objectContaining({ id: a.id, notes: 'Renamed in Harvest' }),
    ]);
    hv.asUser(account.id).delete(a.id);
    expect(hv.timeEntries(account.id)).toEqual([]);
  });

  it('answers 429 with Retry-After seconds after 100 requests in 15 seconds', async () => {
    for (let i = 0; i < 100; i++) expect((await call('GET', '/users/me')).status).toBe(200);
    const limited = await call('GET', '/users/me');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(15);
    expect(hv.throttled).toBe(1);
    hv.advanceTime(15_001);
    expect((await call('GET', '/users/me')).status).toBe(200);
  });

  it('injects the shared faults in Harvest shapes', async () => {
    hv.faults.add({ fault: harvestFaults.throttle(30) });
    const throttled = await call('GET', '/users/me');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('30');

    hv.faults.add({ match: { method: 'POST' }, fault: { kind: 'lostResponse' } });
    await expect(call('POST', '/time_entries', entry())).rejects.toThrow();
    expect(hv.timeEntries(account.id)).toHaveLength(1);

    hv.faults.add({ fault: { kind: 'serverError' } });
    const failed = await call('GET', '/users/me');
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ status: 500, error: 'Internal Server Error' });

    hv.faults.add({ fault: { kind: 'status', status: 422, message: 'Nope' } });
    expect((await call('GET', '/users/me')).body).toEqual({ message: 'Nope' });

    hv.faults.add({ fault: { kind: 'tokenExpired' } });
    expect((await call('GET', '/users/me')).status).toBe(401);
    expect((await call('GET', '/users/me')).status).toBe(401);

    hv.faults.add({ fault: { kind: 'invalidGrant' } });
    const refused = await fetch(hv.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: hv.app.clientId,
        client_secret: hv.app.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: hv.issueTokens({ email: 'ann@acme.test' }).refresh_token,
      }),
    });
    expect(refused.status).toBe(400);
    expect(hv.faults.counts).toEqual({
      '422': 1,
      '429': 1,
      '500': 1,
      invalidGrant: 1,
      lostResponse: 1,
      tokenExpired: 1,
    });
    expect(hv.requests.filter((r) => r.fault).map((r) => r.operation)).toEqual([
      'users.me',
      'time_entries.create',
      'users.me',
      'users.me',
      'users.me',
      'oauth.token',
    ]);
  });
});
