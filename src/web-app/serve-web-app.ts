import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';

/** Paths the server answers itself; everything else that asks for HTML gets the browser app. */
const SERVER_PATHS = /^\/(api|docs|docs-json|docs-yaml|health|ical|metrics)(\/|$|\.|-)/;

/** web/dist from the compiled server (dist/src/web-app) or from the sources (src/web-app). */
const CANDIDATES = [resolve(__dirname, '../../../web/dist'), resolve(__dirname, '../../web/dist')];

/** Where the built app is, or why it cannot be served (for the log; never shown to clients). */
export type WebAppBuild = { dist: string; problem: null } | { dist: null; problem: string };

/**
 * The built app, checked as far as a browser would need it: an index.html whose scripts and
 * stylesheets exist. A half-written or partly deleted build would otherwise load a blank page.
 */
export function locateWebApp(candidates: string[] = CANDIDATES): WebAppBuild {
  const dist = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!dist) {
    return { dist: null, problem: `no index.html in ${candidates.join(' or ')}` };
  }
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const missing = [...html.matchAll(/(?:src|href)="\/(assets\/[^"?#]+)"/g)]
    .map((match) => match[1])
    .filter((asset) => !existsSync(join(dist, asset)));
  if (missing.length > 0) {
    return {
      dist: null,
      problem: `${join(dist, 'index.html')} refers to missing ${missing.join(', ')}`,
    };
  }
  return { dist, problem: null };
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>danwel</title></head>
<body><main><h1>danwel</h1><p>The web app is not built yet: run <code>npm run build:web</code>
(command 1, <code>npm run embedded</code>, does it), restart the server and reload. The API is at <a href="/docs">/docs</a>.</p></main></body></html>`;

/**
 * Serves the single-page app built into web/dist at /: its hashed assets with a long cache, and
 * index.html for any other GET that is not an API, docs, health or feed path (client-side routes).
 * Unknown /api/… paths fall through to Nest, which answers them with a problem+json 404.
 * Without a usable build the API still runs, the log says so at startup, and pages answer 503
 * with how to build the app.
 */
export function serveWebApp(
  app: Pick<NestExpressApplication, 'use'>,
  logger: Pick<Logger, 'error'>,
  build: WebAppBuild = locateWebApp(),
): void {
  const { dist } = build;
  if (dist) {
    app.use('/assets', express.static(join(dist, 'assets'), { immutable: true, maxAge: '1y' }));
    app.use(express.static(dist, { index: false, maxAge: 0 }));
  } else {
    logger.error(
      `The web app is not served: ${build.problem}. Run \`npm run build:web\` and restart.`,
    );
  }
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    if (SERVER_PATHS.test(request.path) || !request.accepts('html')) return next();
    response.set('Cache-Control', 'no-cache');
    if (dist) return response.sendFile(join(dist, 'index.html'));
    response.status(503).type('html').send(NOT_BUILT_PAGE);
  });
}
