import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Paths the server answers itself; everything else that asks for HTML gets the browser app. */
const SERVER_PATHS = /^\/(api|docs|docs-json|docs-yaml|health|ical|metrics)(\/|$|\.|-)/;

/** web/dist from the compiled server (dist/src/web-app) or from the sources (src/web-app). */
export function findWebAppDist(): string | undefined {
  return [resolve(__dirname, '../../../web/dist'), resolve(__dirname, '../../web/dist')].find(
    (dir) => existsSync(join(dir, 'index.html')),
  );
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>danwel</title></head>
<body><main><h1>danwel</h1><p>The web app is not built yet: run <code>npm run build:web</code>
(command 1, <code>npm run embedded</code>, does it) and reload. The API is at <a href="/docs">/docs</a>.</p></main></body></html>`;

/**
 * Serves the single-page app built into web/dist at /: its hashed assets with a long cache, and
 * index.html for any other GET that is not an API, docs, health or feed path (client-side routes).
 * Unknown /api/… paths fall through to Nest, which answers them with a problem+json 404.
 */
export function serveWebApp(
  app: Pick<NestExpressApplication, 'use'>,
  dist: string | null = findWebAppDist() ?? null,
): void {
  if (dist) {
    app.use('/assets', express.static(join(dist, 'assets'), { immutable: true, maxAge: '1y' }));
    app.use(express.static(dist, { index: false, maxAge: 0 }));
  }
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    if (SERVER_PATHS.test(request.path) || !request.accepts('html')) return next();
    response.set('Cache-Control', 'no-cache');
    if (dist) return response.sendFile(join(dist, 'index.html'));
    response.type('html').send(NOT_BUILT_PAGE);
  });
}
