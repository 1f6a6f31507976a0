/**
 * The Xero emulator over HTTP, as a client sees it: the identity server with rotating refresh
 * tokens, `/connections`, the tenant header, the Projects API (200 create, 204 full-replace PUT and
 * DELETE, `Idempotency-Key`), contacts with `If-Modified-Since` and paging, the per-tenant rate
 * limits, faults in Xero's shapes, and the official SDK reading the emulator's answers.
 */
import { createHash } from 'node:crypto';
import { AccountingApi, ProjectApi } from 'xero-node';
import { startXeroEmulator, XeroEmulator, xeroFaults } from './index';

describe('Xero emulator', () => {
  let xero: XeroEmulator;
  let tenant: string;
  let project: string;
  let task: string;
  let ann: string;
  let token: string;

  const call = async (
    method: string,
    url: string,
    options: { body?: unknown; headers?: Record<string, string>; bearer?: string | null } = {},
  ) => {
    const response = await fetch(url, {
      method,
      headers: {
        ...(options.bearer === null ? {} : { Authorization: `Bearer ${options.bearer ?? token}` }),
        'Xero-Tenant-Id': tenant,
        ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
    };
  };
  const projects = (path: string) => `${xero.projectsUrl}${path}`;
  const entryBody = (overrides: Record<string, unknown> = {}) => ({
    userId: ann,
    taskId: task,
    dateUtc: '2026-03-10T00:00:00Z',
    duration: 75,
    description: 'Design review [danwel:7]',
    ...overrides,
  });

  beforeEach(async () => {
    xero = await startXeroEmulator({ now: () => Date.parse('2026-03-15T12:00:00Z') });
    const org = xero.addTenant({ name: 'Acme Ltd', members: ['ann@acme.test'] });
    tenant = org.tenantId;
    ann = [...org.users.values()][0].userId;
    const contact = xero.addContact(tenant, { name: 'Globex' });
    project = xero.addProject(tenant, { name: 'Website', contactId: contact.contactId }).projectId;
    task = xero.addTask(tenant, project, { name: 'Design' }).taskId;
    token = xero.issueTokens({ email: 'ann@acme.test' }).access_token;
  });

  afterEach(() => xero.stop());

  it('runs the code flow with PKCE, lists connections and rotates refresh tokens', async () => {
    const redirectUri = 'http://127.0.0.1/callback';
    const verifier = 'v'.repeat(43);
    const authorize = new URL(xero.authorizeUrl);
    authorize.search = new URLSearchParams({
      client_id: xero.app.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email offline_access projects accounting.contacts',
      state: 'xyz',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const consent = await fetch(authorize, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('xyz');
    const basic = `Basic ${Buffer.from(`${xero.app.clientId}:${xero.app.clientSecret}`).toString('base64')}`;
    const tokenCall = (form: Record<string, string>) =>
      fetch(xero.tokenUrl, {
        method: 'POST',
        headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, string>,
      }));

    const exchanged = await tokenCall({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({ token_type: 'Bearer', expires_in: 1800 });
    const claims = JSON.parse(
      Buffer.from(exchanged.body.id_token.split('.')[1], 'base64url').toString(),
    );
    expect(claims.email).toBe('ann@acme.test');

    const connections = await call('GET', xero.connectionsUrl, {
      bearer: exchanged.body.access_token,
    });
    expect(connections.body).toEqual([
      expect.objectContaining({
        tenantId: tenant,
        tenantName: 'Acme Ltd',
        tenantType: 'ORGANISATION',
      }),
    ]);

    const refreshed = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: exchanged.body.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(exchanged.body.refresh_token);
    const reused = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: exchanged.body.refresh_token,
    });
    expect(reused).toEqual({ status: 400, body: { error: 'invalid_grant' } });

    const revoked = await fetch(xero.revokeUrl, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshed.body.refresh_token }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect(
      (await call('GET', xero.connectionsUrl, { bearer: refreshed.body.access_token })).status,
    ).toBe(401);
  });

  it('refuses a wrong PKCE verifier and access tokens older than 30 minutes', async () => {
    const authorize = new URL(xero.authorizeUrl);
    authorize.search = new URLSearchParams({
      client_id: xero.app.clientId,
      redirect_uri: 'http://127.0.0.1/cb',
      response_type: 'code',
      scope: 'openid offline_access projects',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
    }).toString();
    const code = new URL(
      (await fetch(authorize, { redirect: 'manual' })).headers.get('location')!,
    ).searchParams.get('code')!;
    const exchange = await fetch(xero.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://127.0.0.1/cb',
        code_verifier: 'wrong',
        client_id: xero.app.clientId,
        client_secret: xero.app.clientSecret,
      }).toString(),
    });
    expect(exchange.status).toBe(400);

    expect((await call('GET', projects('/Projects'))).status).toBe(200);
    xero.advanceTime(30 * 60_000);
    const expired = await call('GET', projects('/Projects'));
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ Title: 'Unauthorized', Status: 401 });
    expect(expired.body!.Detail).toMatch(/^TokenExpired: /);
  });

  it('answers 403 AuthenticationUnsuccessful for an empty or unconnected Xero-Tenant-Id', async () => {
    const other = xero.addTenant({ name: 'Other Ltd' }).tenantId;
    for (const headers of [{ 'Xero-Tenant-Id': '' }, { 'Xero-Tenant-Id': other }]) {
      const refused = await call('GET', projects('/Projects'), { headers });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({
        Type: null,
        Title: 'Forbidden',
        Status: 403,
        Detail: 'AuthenticationUnsuccessful',
      });
    }
  });

  it('creates (200), replaces (204) and deletes (204) time entries, in Projects API shapes', async () => {
    const created = await call('POST', projects(`/Projects/${project}/Time`), {
      body: entryBody(),
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      userId: ann,
      projectId: project,
      taskId: task,
      dateUtc: '2026-03-10T00:00:00Z',
      duration: 75,
      status: 'ACTIVE',
    });
    const id = created.body!.timeEntryId as string;
    const replaced = await call('PUT', projects(`/Projects/${project}/Time/${id}`), {
      body: { userId: ann, taskId: task, dateUtc: '2026-03-11T00:00:00Z', duration: 30 },
    });
    expect(replaced.status).toBe(204);
    expect(replaced.body).toBeUndefined();
    // A full replace: the omitted description is gone.
    expect(xero.timeEntry(tenant, id)).toMatchObject({ duration: 30, description: null });

    const listed = await call(
      'GET',
      projects(`/Projects/${project}/Time?userId=${ann}&dateAfterUtc=2026-03-11T00:00:00Z`),
    );
    expect(listed.body).toEqual({
      pagination: { page: 1, pageSize: 50, pageCount: 1, itemCount: 1 },
      items: [expect.objectContaining({ timeEntryId: id })],
    });

    const invalid = await call('POST', projects(`/Projects/${project}/Time`), {
      body: entryBody({ duration: 7.5, taskId: 'nope' }),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({
      message: expect.any(String),
      modelState: { duration: [expect.any(String)], taskId: [expect.any(String)] },
    });

    expect((await call('DELETE', projects(`/Projects/${project}/Time/${id}`))).status).toBe(204);
    const gone = await call('GET', projects(`/Projects/${project}/Time/${id}`));
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ message: expect.any(String), modelState: {} });
  });

  it('answers a repeated Idempotency-Key with the first result and refuses misuse', async () => {
    const key = 'danwel-block-7';
    const first = await call('POST', projects(`/Projects/${project}/Time`), {
      body: entryBody(),
      headers: { 'Idempotency-Key': key },
    });
    const again = await call('POST', projects(`/Projects/${project}/Time`), {
      body: entryBody(),
      headers: { 'Idempotency-Key': key },
    });
    expect(again).toMatchObject({ status: 200, body: first.body });
    expect(xero.timeEntries(tenant)).toHaveLength(1);

    const different = await call('POST', projects(`/Projects/${project}/Time`), {
      body: entryBody({ duration: 15 }),
      headers: { 'Idempotency-Key': key },
    });
    expect(different.status).toBe(400);
    expect(different.body!.message).toBe(
      `Idempotency Key: ${key} is used with a different request.`,
    );

    const long = await call('POST', projects(`/Projects/${project}/Time`), {
      body: entryBody(),
      headers: { 'Idempotency-Key': 'k'.repeat(129) },
    });
    expect(long.status).toBe(400);
    expect(xero.timeEntries(tenant)).toHaveLength(1);
  });

  it('refuses API changes to locked and invoiced entries; a Xero user may still change them', async () => {
    const user = xero.asUser(tenant);
    const locked = user.create(project, entryBody());
    const invoiced = user.create(project, entryBody());
    user.lock(locked.timeEntryId);
    const invoiceId = user.invoice([invoiced.timeEntryId]);
    for (const id of [locked.timeEntryId, invoiced.timeEntryId]) {
      const put = await call('PUT', projects(`/Projects/${project}/Time/${id}`), {
        body: entryBody(),
      });
      expect(put.status).toBe(400);
      expect((await call('DELETE', projects(`/Projects/${project}/Time/${id}`))).status).toBe(400);
    }
    const onInvoice = await call(
      'GET',
      projects(`/Projects/${project}/Time?invoiceId=${invoiceId}`),
    );
    expect(onInvoice.body!.items).toEqual([
      expect.objectContaining({ timeEntryId: invoiced.timeEntryId, status: 'INVOICED' }),
    ]);
    expect(user.edit(invoiced.timeEntryId, { description: 'Fixed' }).description).toBe('Fixed');
  });

  it('lists projects by state, tasks and project users in pages', async () => {
    const contact = xero.addContact(tenant, { name: 'Initech' }).contactId;
    const closed = xero.addProject(tenant, { name: 'Old', contactId: contact, status: 'CLOSED' });
    expect((await call('GET', projects('/Projects'))).body!.items).toHaveLength(1);
    const all = await call('GET', projects('/Projects?states=INPROGRESS,CLOSED&page=2&pageSize=1'));
    expect(all.body).toEqual({
      pagination: { page: 2, pageSize: 1, pageCount: 2, itemCount: 2 },
      items: [
        expect.objectContaining({
          projectId: closed.projectId,
          status: 'CLOSED',
          contactId: contact,
        }),
      ],
    });
    const tasks = await call('GET', projects(`/Projects/${project}/Tasks`));
    expect(tasks.body!.items).toEqual([
      expect.objectContaining({ taskId: task, name: 'Design', chargeType: 'TIME' }),
    ]);
    const users = await call('GET', projects('/ProjectsUsers'));
    expect(users.body!.items).toEqual([{ userId: ann, name: 'ann', email: 'ann@acme.test' }]);
  });

  it('lists contacts changed since If-Modified-Since, archived ones on request, in pages of 100', async () => {
    const archived = xero.addContact(tenant, { name: 'Archived Co', status: 'ARCHIVED' });
    const contacts = (query: string, headers: Record<string, string> = {}) =>
      call('GET', `${xero.apiUrl}/Contacts${query}`, { headers }).then((r) => r.body!);
    expect((await contacts('')).Contacts.map((c: { Name: string }) => c.Name)).toEqual(['Globex']);
    expect((await contacts('?includeArchived=true')).Contacts).toHaveLength(2);
    const first = await contacts('?includeArchived=true&page=1');
    expect(first.pagination).toEqual({ page: 1, pageSize: 100, pageCount: 1, itemCount: 2 });
    expect(first.Contacts[0]).toMatchObject({
      ContactID: archived.contactId,
      ContactStatus: 'ARCHIVED',
      UpdatedDateUTC: expect.stringMatching(/^\/Date\(\d+\+0000\)\/$/),
    });

    xero.advanceTime(60_000);
    const since = new Date(xero.now()).toISOString().slice(0, 19);
    xero.editContact(tenant, archived.contactId, { status: 'ACTIVE', name: 'Revived Co' });
    const changed = await contacts('?includeArchived=true', { 'If-Modified-Since': since });
    expect(changed.Contacts.map((c: { Name: string }) => c.Name)).toEqual(['Revived Co']);

    const bad = await call('GET', `${xero.apiUrl}/Contacts?where=Name=="x"`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      ErrorNumber: expect.any(Number),
      Type: expect.any(String),
      Message: expect.any(String),
    });
  });

  it('limits a tenant to 60 calls a minute with Retry-After and X-Rate-Limit-Problem', async () => {
    let last = await call('GET', projects('/ProjectsUsers'));
    expect(last.headers.get('x-minlimit-remaining')).toBe('59');
    expect(last.headers.get('x-daylimit-remaining')).toBe('4999');
    expect(last.headers.get('x-appminlimit-remaining')).toBe('9999');
    for (let i = 1; i < 60; i++) last = await call('GET', projects('/ProjectsUsers'));
    expect(last.status).toBe(200);
    expect(last.headers.get('x-minlimit-remaining')).toBe('0');
    xero.advanceTime(15_000);
    const limited = await call('GET', projects('/ProjectsUsers'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-rate-limit-problem')).toBe('minute');
    expect(limited.headers.get('retry-after')).toBe('45');
    expect(xero.throttled.minute).toBe(1);
    xero.advanceTime(45_000);
    expect((await call('GET', projects('/ProjectsUsers'))).status).toBe(200);
  });

  it('limits a tenant per day and to 5 requests at once', async () => {
    await xero.stop();
    xero = await startXeroEmulator({ limits: { perDay: 2 } });
    const org = xero.addTenant({ name: 'Small Ltd', members: ['bob@small.test'] });
    tenant = org.tenantId;
    token = xero.issueTokens({ email: 'bob@small.test' }).access_token;
    await call('GET', projects('/ProjectsUsers'));
    await call('GET', projects('/ProjectsUsers'));
    const day = await call('GET', projects('/ProjectsUsers'));
    expect(day.status).toBe(429);
    expect(day.headers.get('x-rate-limit-problem')).toBe('day');
    expect(Number(day.headers.get('retry-after'))).toBeGreaterThan(86_000);

    await xero.stop();
    xero = await startXeroEmulator();
    tenant = xero.addTenant({ name: 'Busy Ltd', members: ['cy@busy.test'] }).tenantId;
    token = xero.issueTokens({ email: 'cy@busy.test' }).access_token;
    xero.faults.add({ fault: { kind: 'delay', ms: 300 }, times: 6 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => call('GET', projects('/ProjectsUsers'))),
    );
    const concurrent = answers.filter((a) => a.status === 429);
    expect(concurrent).toHaveLength(1);
    expect(concurrent[0].headers.get('x-rate-limit-problem')).toBe('concurrent');
  });

  it('renders injected faults in Xero shapes and applies a write whose answer is lost', async () => {
    xero.faults.queue([xeroFaults.throttle(7, 'day'), xeroFaults.serverError()]);
    const throttled = await call('GET', projects('/Projects'));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.headers.get('x-rate-limit-problem')).toBe('day');
    const failed = await call('GET', `${xero.apiUrl}/Contacts`);
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ Message: expect.any(String) });

    xero.faults.add({ fault: { kind: 'lostResponse' } });
    await expect(
      call('POST', projects(`/Projects/${project}/Time`), { body: entryBody() }),
    ).rejects.toThrow();
    expect(xero.timeEntries(tenant)).toHaveLength(1);
    expect(xero.requests.at(-1)).toMatchObject({
      outcome: 'lostResponse',
      operation: 'projects.time.create',
    });

    xero.faults.add({ fault: { kind: 'tokenExpired' } });
    expect((await call('GET', projects('/Projects'))).status).toBe(401);
    expect((await call('GET', projects('/Projects'))).status).toBe(401);
  });

  it("is read by Xero's own SDK: time entries, users and contacts", async () => {
    const projectApi = new ProjectApi(xero.projectsUrl);
    projectApi.accessToken = token;
    const created = await projectApi.createTimeEntry(
      tenant,
      project,
      {
        userId: ann,
        taskId: task,
        dateUtc: new Date('2026-03-10T00:00:00Z'),
        duration: 45,
        description: 'SDK',
      },
      'sdk-key',
    );
    expect(created.body).toMatchObject({ duration: 45, description: 'SDK', projectId: project });
    const listed = await projectApi.getTimeEntries(tenant, project);
    expect(listed.body.items?.map((e) => e.timeEntryId)).toEqual([created.body.timeEntryId]);
    const users = await projectApi.getProjectUsers(tenant);
    expect(users.body.items?.[0]?.email).toBe('ann@acme.test');

    const accountingApi = new AccountingApi(xero.apiUrl);
    accountingApi.accessToken = token;
    const contacts = await accountingApi.getContacts(tenant);
    expect(contacts.body.contacts?.map((c) => c.name)).toEqual(['Globex']);

    // The SDK rejects an error answer with a JSON string.
    const refused = await projectApi
      .getTimeEntry(tenant, project, '00000000-0000-0000-0000-000000000000')
      .catch((e: unknown) => e);
    expect(typeof refused).toBe('string');
    expect(JSON.parse(refused as string).response.statusCode).toBe(404);
  });
});
