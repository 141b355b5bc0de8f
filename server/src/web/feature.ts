// Owns serving the built web app (web/build) at /: static files with long caching for the
// hashed assets under /_app/immutable, and the single-page-app fallback to index.html for every
// other GET that is not an API, auth, sync or operations route. Registered last, so every other
// route wins. When the app has not been built, / answers a short page saying how to build it.
// The shell carries a CSP allowing its inline bootstrap script by hash (http/security-headers.ts
// sets the other headers, and the policy of every other answer).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { defineFeature, type Feature } from '../app.ts';
import { inlineScriptHashes, pagePolicy } from '../http/security-headers.ts';
import { PROJECT_ROOT } from '../paths.ts';

const API_PREFIXES = ['/api/', '/auth/', '/internal/', '/health', '/metrics', '/docs'];

export const WEB_BUILD_DIR = path.join(PROJECT_ROOT, 'web', 'build');

export function isAppPath(url: string): boolean {
  const pathname = url.split('?')[0] ?? '/';
  if (pathname === '/api' || pathname === '/auth') return false;
  return !API_PREFIXES.some(
    (prefix) => pathname === prefix.replace(/\/$/, '') || pathname.startsWith(prefix),
  );
}

export function createWebFeature(root = WEB_BUILD_DIR): Feature {
  return defineFeature({ name: 'web' }, async (app) => {
    const index = path.join(root, 'index.html');
    if (!existsSync(index)) {
      app.get('/', async (_request, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .send(
            '<!doctype html><title>Sertantai Controls</title><p>The web app is not built yet. ' +
              'Run <code>npm run build:web</code> (npm start does it for you), then reload.</p>',
          ),
      );
      return;
    }
    // The app shell's own CSP: its inline bootstrap script allowed by hash, nothing else inline.
    const shellPolicy = pagePolicy(inlineScriptHashes(readFileSync(index, 'utf8')));
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: false,
      setHeaders: (res, filePath) => {
        if (filePath.includes(`${path.sep}_app${path.sep}immutable${path.sep}`)) {
          res.header('cache-control', 'public, max-age=31536000, immutable');
        } else {
          res.header('cache-control', 'no-cache');
        }
        if (filePath === index) res.header('content-security-policy', shellPolicy);
      },
    });
    const sendIndex = (reply: {
      header: (k: string, v: string) => unknown;
      sendFile: (f: string) => unknown;
    }) => {
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    };
    app.get('/', async (_request, reply) => sendIndex(reply));
    // Every other GET no route matched: a file from the build when it exists, otherwise the app shell
    // (client-side routes such as /controls/<id>); API-like paths keep the JSON 404.
    app.get('/*', async (request, reply) => {
      if (isAppPath(request.url)) {
        const pathname = decodeURIComponent((request.url.split('?')[0] ?? '/').slice(1));
        const candidate = path.resolve(root, pathname);
        if (
          pathname &&
          candidate.startsWith(root + path.sep) &&
          existsSync(candidate) &&
          !candidate.endsWith(path.sep)
        ) {
          return reply.sendFile(pathname);
        }
        if (!path.extname(pathname)) return sendIndex(reply);
      }
      return reply.code(404).send({
        error: `Route ${request.method} ${request.url.split('?')[0]} not found.`,
        code: 'NOT_FOUND',
        details: {},
      });
    });
  });
}

export const webFeature: Feature = createWebFeature();
