import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { serveWebApp } from './serve-web-app';

/** An express app with the web app mounted in front of a stand-in for Nest's API routes. */
function appWith(dist: string | null) {
  const app = express();
  serveWebApp(app as never, dist);
  app.use((req, res) => res.status(404).type('application/problem+json').send({ status: 404 }));
  return app;
}

describe('serving the web app', () => {
  let dist: string;

  beforeAll(() => {
    dist = mkdtempSync(join(tmpdir(), 'danwel-web-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it('answers / and client-side routes with index.html, never cached', async () => {
    for (const path of ['/', '/o/3/planner', '/invitations/inv_abc']) {
      const response = await request(appWith(dist))
        .get(path)
        .set('Accept', 'text/html')
        .expect(200);
      expect(response.text).toContain('<div id="root">');
      expect(response.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets with a long cache and other files as they are', async () => {
    const asset = await request(appWith(dist)).get('/assets/app-1234.js').expect(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    await request(appWith(dist)).get('/favicon.svg').expect(200);
  });

  it('leaves API, docs, health and feed paths to the server', async () => {
    for (const path of [
      '/api/v1/nope',
      '/api',
      '/docs',
      '/docs-json',
      '/health/ready',
      '/ical/x.ics',
    ]) {
      const response = await request(appWith(dist)).get(path).set('Accept', 'text/html');
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  it('does not answer writes or requests that do not want HTML', async () => {
    await request(appWith(dist)).post('/o/3/planner').expect(404);
    await request(appWith(dist)).get('/o/3/planner').set('Accept', 'application/json').expect(404);
  });

  it('says how to build the app when it is not built', async () => {
    const response = await request(appWith(null)).get('/').set('Accept', 'text/html').expect(200);
    expect(response.text).toContain('npm run build:web');
  });
});
