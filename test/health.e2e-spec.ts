import { bootApp, TestApp } from './support/app';

describe('health and HTTP conventions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(() => t.close());

  it('answers liveness', async () => {
    const response = await t.http().get('/health').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('is ready once the database answers and every migration is applied', async () => {
    const response = await t.http().get('/health/ready').expect(200);
    expect(response.body).toEqual({ status: 'ok', database: 'ok', migrations: 'ok' });
  });

  it('serves the OpenAPI document and the Swagger UI', async () => {
    const document = await t.http().get('/docs-json').expect(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(document.body.info.title).toBe('danwel API');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/health', '/health/ready']),
    );
    const ui = await t.http().get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('answers unknown routes with problem+json and no internals', async () => {
    const response = await t.http().get('/api/v1/nope').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, title: 'Not Found' });
    expect(JSON.stringify(response.body)).not.toMatch(/stack|at .*\.js/);
  });

  it('rejects malformed JSON with a 400 problem', async () => {
    const response = await t
      .http()
      .post('/api/v1/anything')
      .set('Content-Type', 'application/json')
      .send('{"broken": ')
      .expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, title: 'Bad Request' });
  });

  it('limits the request body size', async () => {
    const response = await t
      .http()
      .post('/api/v1/anything')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) }))
      .expect(413);
    expect(response.body).toMatchObject({ status: 413, title: 'Payload Too Large' });
  });

  it('echoes a sane X-Request-Id and invents one otherwise', async () => {
    const echoed = await t.http().get('/health').set('X-Request-Id', 'abc-123');
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const invented = await t.http().get('/health').set('X-Request-Id', 'bad id with spaces');
    expect(invented.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('allows CORS only for the configured SPA origins', async () => {
    const allowed = await t.http().get('/health').set('Origin', 'http://localhost:5173');
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const denied = await t.http().get('/health').set('Origin', 'https://evil.example');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends security headers', async () => {
    const response = await t.http().get('/health');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});

describe('readiness before migrations', () => {
  it('answers 503 with the reason while migrations are pending', async () => {
    const t = await bootApp({ migrate: false });
    try {
      const response = await t.http().get('/health/ready').expect(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.detail).toMatch(/migration\(s\) pending/);
    } finally {
      await t.close();
    }
  });
});

describe('OpenAPI document quality', () => {
  it('gives every request property a real type (no scalar documented as a bare object)', async () => {
    const t = await bootApp({ migrate: false });
    try {
      const document = (await t.http().get('/docs-json').expect(200)).body;
      const untyped: string[] = [];
      for (const [schemaName, schema] of Object.entries<{ properties?: Record<string, object> }>(
        document.components.schemas,
      )) {
        for (const [property, spec] of Object.entries<Record<string, unknown>>(
          (schema.properties ?? {}) as Record<string, Record<string, unknown>>,
        )) {
          const described =
            spec.$ref ||
            spec.oneOf ||
            spec.allOf ||
            spec.anyOf ||
            spec.enum ||
            (spec.type && spec.type !== 'object') ||
            (spec.type === 'object' && (spec.properties || spec.additionalProperties));
          if (!described) untyped.push(`${schemaName}.${property}`);
        }
      }
      expect(untyped).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
