import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { locateWebApp, serveWebApp, WebAppBuild } from './serve-web-app';

const silent = { error: (_message: string) => undefined };

/** An express app with the web app mounted in front of a stand-in for Nest's API routes. */
function appWith(dist: string | null, logger = silent) {
  const app = express();
  const build: WebAppBuild = dist ? { dist, problem: null } : { dist: null, problem: 'not built' };
  serveWebApp(app as never, logger, build);
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

  it('says how to build the app when it is not built, in the log and with a 503 page', async () => {
    const logged: string[] = [];
    const app = appWith(null, { error: (message: string) => void logged.push(message) });
    expect(logged).toEqual([
      'The web app is not served: not built. Run `npm run build:web` and restart.',
    ]);
    const response = await request(app).get('/o/3/planner').set('Accept', 'text/html').expect(503);
    expect(response.text).toContain('npm run build:web');
    expect(response.headers['content-type']).toMatch(/text\/html/);
    await request(app).get('/api/v1/nope').set('Accept', 'text/html').expect(404);
  });
});

describe('finding the built web app', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'danwel-dist-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function build(name: string, assets: string[]): string {
    const dist = join(root, name);
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(
      join(dist, 'index.html'),
      '<!doctype html><script type="module" src="/assets/index-1.js"></script>' +
        '<link rel="stylesheet" href="/assets/index-2.css"><link rel="icon" href="/favicon.svg">',
    );
    for (const asset of assets) writeFileSync(join(dist, 'assets', asset), '');
    return dist;
  }

  it('takes the first candidate with an index.html whose assets all exist', () => {
    const dist = build('dist', ['index-1.js', 'index-2.css']);
    expect(locateWebApp([join(root, 'absent'), dist])).toEqual({ dist, problem: null });
  });

  it('names the places it looked when there is no build', () => {
    const result = locateWebApp([join(root, 'a'), join(root, 'b')]);
    expect(result.dist).toBeNull();
    expect(result.problem).toBe(`no index.html in ${join(root, 'a')} or ${join(root, 'b')}`);
  });

  it('refuses a build whose index.html refers to missing assets (a blank page otherwise)', () => {
    const dist = build('dist', ['index-1.js']);
    expect(locateWebApp([dist])).toEqual({
      dist: null,
      problem: `${join(dist, 'index.html')} refers to missing assets/index-2.css`,
    });
  });
});
