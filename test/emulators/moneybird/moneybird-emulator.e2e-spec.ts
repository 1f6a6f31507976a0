/**
 * The Moneybird emulator over HTTP, as a client sees it: OAuth, administrations, string ids,
 * contacts synchronization, projects, time entries with their filters, the rate limit with an
 * epoch Retry-After, faults in Moneybird's shapes and the "as a Moneybird user" controls.
 */
import { moneybirdFaults, MoneybirdEmulator, startMoneybirdEmulator } from './index';

describe('Moneybird emulator', () => {
  let mb: MoneybirdEmulator;
  let adm: string;
  let ann: string;
  let token: string;

  const call = async (method: string, path: string, body?: unknown, bearer = token) => {
    const response = await fetch(`${mb.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
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
    time_entry: {
      user_id: ann,
      started_at: '2026-03-10T09:00:30Z',
      ended_at: '2026-03-10T10:15:59Z',
      description: 'Design review [danwel:abc]',
      ...overrides,
    },
  });

  beforeEach(async () => {
    mb = await startMoneybirdEmulator({ now: () => Date.parse('2026-03-15T12:00:00Z') });
    const administration = mb.addAdministration({ name: 'Acme BV', members: ['ann@acme.test'] });
    adm = administration.id;
    ann = [...administration.users.values()][0].id;
    token = mb.issueTokens({ email: 'ann@acme.test' }).access_token;
  });

  afterEach(() => mb.stop());

  it('runs the OAuth code flow, refreshes with rotation and rejects a spent refresh token', async () => {
    const redirectUri = 'http://127.0.0.1/callback';
    const authorize = new URL(mb.authorizeUrl);
    authorize.search = new URLSearchParams({
      client_id: mb.app.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'time_entries settings',
      state: 'xyz',
    }).toString();
    const consent = await fetch(authorize, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('xyz');
    const code = back.searchParams.get('code')!;

    const tokenCall = (form: Record<string, string>) =>
      fetch(mb.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: mb.app.clientId,
          client_secret: mb.app.clientSecret,
          ...form,
        }),
      });
    const first = await tokenCall({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
    });
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'time_entries settings' });
    expect(tokens.expires_in).toBeUndefined();
    const reused = await tokenCall({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
    });
    expect(reused.status).toBe(400);

    const refreshed = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token as string,
    });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as Record<string, string>;
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect((await call('GET', '/administrations.json', undefined, next.access_token)).status).toBe(
      200,
    );
    expect(
      (await call('GET', '/administrations.json', undefined, tokens.access_token as string)).status,
    ).toBe(401);
    const spent = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token as string,
    });
    expect(spent.status).toBe(400);
    expect(await spent.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('lists administrations and users with 18-digit string ids', async () => {
    const administrations = await call('GET', '/administrations.json');
    expect(administrations.body).toEqual([
      expect.objectContaining({ id: adm, name: 'Acme BV', time_zone: 'Europe/Amsterdam' }),
    ]);
    expect(adm).toMatch(/^\d{18}$/);
    expect(Number(adm) > Number.MAX_SAFE_INTEGER).toBe(true);
    const users = await call('GET', `/${adm}/users.json`);
    expect(users.body).toEqual([
      expect.objectContaining({ id: ann, email: 'ann@acme.test', user_type: 'owner' }),
    ]);
    // Someone else's administration is not found.
    const other = mb.addAdministration({ name: 'Other', members: ['bob@other.test'] });
    expect((await call('GET', `/${other.id}/users`)).status).toBe(404);
  });

  it('checks scopes: contacts need more than time_entries, projects and users need settings', async () => {
    const narrow = mb.issueTokens({
      email: 'ann@acme.test',
      scopes: ['time_entries'],
    }).access_token;
    expect((await call('GET', `/${adm}/contacts.json`, undefined, narrow)).status).toBe(403);
    expect((await call('GET', `/${adm}/projects.json`, undefined, narrow)).status).toBe(403);
    expect((await call('GET', `/${adm}/time_entries.json`, undefined, narrow)).status).toBe(200);
  });

  it('synchronizes contacts by id and version, at most 100 per call', async () => {
    const acme = mb.addContact(adm, { companyName: 'Acme' });
    const globex = mb.addContact(adm, { companyName: 'Globex' });
    const listed = await call('GET', `/${adm}/contacts/synchronization.json?include_archived=true`);
    expect(listed.body).toEqual([
      { id: acme.id, version: acme.version },
      { id: globex.id, version: globex.version },
    ]);
    const before = globex.version;
    mb.editContact(adm, globex.id, { companyName: 'Globex Corp', archived: true });
    expect(globex.version).toBeGreaterThan(before);
    const active = await call('GET', `/${adm}/contacts/synchronization.json`);
    expect(active.body.map((c: { id: string }) => c.id)).toEqual([acme.id]);
    const fetched = await call('POST', `/${adm}/contacts/synchronization.json`, {
      ids: [globex.id],
    });
    expect(fetched.body).toEqual([
      expect.objectContaining({ id: globex.id, company_name: 'Globex Corp', archived: true }),
    ]);
    const missing = await call('POST', `/${adm}/contacts/synchronization.json`, {});
    expect(missing).toMatchObject({
      status: 400,
      body: { error: 'Ids is required', symbolic: { ids: 'required' } },
    });
    const tooMany = await call('POST', `/${adm}/contacts/synchronization.json`, {
      ids: Array.from({ length: 101 }, (_, i) => String(i)),
    });
    expect(tooMany.status).toBe(400);
  });

  it('pages projects 25 at a time with a Link header, active ones by default', async () => {
    for (let i = 0; i < 30; i++) mb.addProject(adm, { name: `P${i}` });
    mb.addProject(adm, { name: 'Old', state: 'archived' });
    const first = await call('GET', `/${adm}/projects.json`);
    expect(first.body).toHaveLength(25);
    expect(first.headers.get('link')).toContain('rel="next"');
    const second = await call('GET', `/${adm}/projects.json?page=2`);
    expect(second.body).toHaveLength(5);
    expect(second.headers.get('link')).not.toContain('rel="next"');
    const all = await call('GET', `/${adm}/projects.json?filter=state:all&per_page=100`);
    expect(all.body).toHaveLength(31);
    expect((await call('GET', `/${adm}/projects.json?per_page=101`)).status).toBe(400);
    expect((await call('GET', `/${adm}/projects.json?page=0`)).body).toEqual({
      error: 'Page is too small',
      symbolic: { page: 'min' },
    });
  });

  it('creates time entries floored to the minute and validates like Moneybird', async () => {
    const created = await call('POST', `/${adm}/time_entries.json`, entry());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^\d{18}$/),
      administration_id: adm,
      user_id: ann,
      started_at: '2026-03-10T09:00:00.000Z',
      ended_at: '2026-03-10T10:15:00.000Z',
      billable: true,
      sales_invoice_id: null,
    });

    const invalid = await call(
      'POST',
      `/${adm}/time_entries.json`,
      entry({ ended_at: '2026-03-10T08:00:00Z', description: '' }),
    );
    expect(invalid).toMatchObject({
      status: 422,
      body: {
        error: {
          ended_at: ['cannot be before the start time'],
          description: ["can't be blank"],
        },
        details: {
          ended_at: [{ error: 'ended_at_before_started_at' }],
          description: [{ error: 'blank' }],
        },
      },
    });
    // A user id sent as a JSON number loses digits above 2^53 and names nobody.
    const lossy = await call('POST', `/${adm}/time_entries.json`, entry({ user_id: Number(ann) }));
    expect(lossy.status).toBe(422);
    expect(mb.timeEntries(adm)).toHaveLength(1);
  });

  it('filters the list by period (explicit filters replace this_year), query, user and include_active', async () => {
    await call('POST', `/${adm}/time_entries.json`, entry());
    await call(
      'POST',
      `/${adm}/time_entries.json`,
      entry({
        started_at: '2025-12-31T23:30:00Z', // 2026-01-01 in Amsterdam
        ended_at: '2026-01-01T00:30:00Z',
        description: 'New year [danwel:def]',
      }),
    );
    await call(
      'POST',
      `/${adm}/time_entries.json`,
      entry({ started_at: '2025-06-01T09:00:00Z', ended_at: null, description: 'Running' }),
    );
    const ids = (response: { body: Array<{ description: string }> }) =>
      response.body.map((e) => e.description).sort();

    expect(ids(await call('GET', `/${adm}/time_entries.json`))).toEqual([
      'Design review [danwel:abc]',
      'New year [danwel:def]',
    ]);
    expect(
      ids(await call('GET', `/${adm}/time_entries.json?filter=period:20260101..20260101`)),
    ).toEqual(['New year [danwel:def]']);
    expect(
      ids(
        await call(
          'GET',
          `/${adm}/time_entries.json?filter=period:20250101..20261231,include_active:true,user_id:${ann}&query=${encodeURIComponent('[danwel:abc]')}`,
        ),
      ),
    ).toEqual(['Design review [danwel:abc]']);
    // Any filter replaces the default period: the running entry from 2025 shows with include_active.
    expect(
      ids(await call('GET', `/${adm}/time_entries.json?filter=include_active:true`)),
    ).toContain('Running');
    expect((await call('GET', `/${adm}/time_entries.json?filter=period:nonsense`)).status).toBe(
      400,
    );
  });

  it('updates and deletes entries; invoiced and period-locked ones refuse changes', async () => {
    const a = (await call('POST', `/${adm}/time_entries.json`, entry())).body;
    const b = (await call('POST', `/${adm}/time_entries.json`, entry({ description: 'B' }))).body;
    const patched = await call('PATCH', `/${adm}/time_entries/${a.id}.json`, {
      time_entry: { ended_at: '2026-03-10T11:00:00Z' },
    });
    expect(patched.body).toMatchObject({ id: a.id, ended_at: '2026-03-10T11:00:00.000Z' });

    const invoiceId = mb.asUser(adm).invoice([a.id]);
    expect((await call('GET', `/${adm}/time_entries/${a.id}.json`)).body).toMatchObject({
      sales_invoice_id: invoiceId,
      sales_invoice: { id: invoiceId },
    });
    const refused = await call('PATCH', `/${adm}/time_entries/${a.id}.json`, {
      time_entry: { description: 'changed' },
    });
    expect(refused.status).toBe(422);
    expect((await call('DELETE', `/${adm}/time_entries/${a.id}.json`)).status).toBe(422);

    mb.lockPeriod(adm, '2026-03-31');
    expect((await call('DELETE', `/${adm}/time_entries/${b.id}.json`)).status).toBe(422);
    mb.lockPeriod(adm, null);
    expect((await call('DELETE', `/${adm}/time_entries/${b.id}.json`)).status).toBe(204);
    expect((await call('GET', `/${adm}/time_entries/${b.id}.json`)).status).toBe(404);
    expect((await call('GET', `/${adm}/time_entries/${b.id}.json`)).body).toEqual({
      error: 'record not found',
      symbolic: { id: 'not_found' },
    });
  });

  it('lets a Moneybird user edit and delete entries behind the client', async () => {
    const a = (await call('POST', `/${adm}/time_entries.json`, entry())).body;
    mb.asUser(adm).edit(a.id, { description: 'Renamed in Moneybird' });
    expect((await call('GET', `/${adm}/time_entries/${a.id}`)).body.description).toBe(
      'Renamed in Moneybird',
    );
    mb.asUser(adm).delete(a.id);
    expect((await call('GET', `/${adm}/time_entries/${a.id}`)).status).toBe(404);
  });

  it('answers 429 "Retry later" after 150 requests in 5 minutes, Retry-After as an epoch', async () => {
    for (let i = 0; i < 150; i++) {
      expect((await call('GET', '/administrations.json')).status).toBe(200);
    }
    const limited = await call('GET', '/administrations.json');
    expect(limited.status).toBe(429);
    expect(limited.body).toBe('Retry later');
    const retryAt = Number(limited.headers.get('retry-after'));
    expect(retryAt).toBe(Math.ceil((mb.now() + 5 * 60_000) / 1000));
    expect(limited.headers.get('ratelimit-reset')).toBe(String(retryAt));
    expect(limited.headers.get('ratelimit-limit')).toBe('150');
    mb.advanceTime(5 * 60_000 + 1);
    expect((await call('GET', '/administrations.json')).status).toBe(200);
  });

  it('injects the shared faults in Moneybird shapes', async () => {
    mb.faults.add({ fault: moneybirdFaults.throttle(30) });
    const throttled = await call('GET', `/${adm}/time_entries.json`);
    expect(throttled.status).toBe(429);
    expect(throttled.body).toBe('Retry later');
    expect(Number(throttled.headers.get('retry-after'))).toBe(Math.floor(mb.now() / 1000) + 30);

    mb.faults.add({ match: { method: 'POST' }, fault: { kind: 'lostResponse' } });
    await expect(call('POST', `/${adm}/time_entries.json`, entry())).rejects.toThrow();
    expect(mb.timeEntries(adm)).toHaveLength(1); // applied, answer lost

    mb.faults.add({ match: { method: 'POST' }, fault: { kind: 'reset' } });
    await expect(call('POST', `/${adm}/time_entries.json`, entry())).rejects.toThrow();
    expect(mb.timeEntries(adm)).toHaveLength(1); // never applied

    mb.faults.add({ fault: { kind: 'serverError' } });
    expect(await call('GET', `/${adm}/time_entries.json`)).toMatchObject({
      status: 500,
      body: { error: 'Internal server error' },
    });
    mb.faults.add({ fault: { kind: 'tokenExpired' } });
    expect((await call('GET', `/${adm}/time_entries.json`)).status).toBe(401);
    expect((await call('GET', `/${adm}/time_entries.json`)).status).toBe(401);
    expect(mb.faults.counts).toEqual({
      '429': 1,
      '500': 1,
      lostResponse: 1,
      reset: 1,
      tokenExpired: 1,
    });
  });
});
