// Budget: the JavaScript a first visit loads (the entry script and the chunks index.html
// preloads), gzipped, at most 250 KB; every screen is a lazy chunk on top. Reads the built
// web/dist, so run `npm run build:web` first. Prints figures; it is a benchmark, not a test.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 250;
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');

let html;
try {
  html = readFileSync(join(dist, 'index.html'), 'utf8');
} catch {
  console.error(`No ${join(dist, 'index.html')}: run \`npm run build:web\` first.`);
  process.exit(1);
}

const gzipped = (file) => gzipSync(readFileSync(join(dist, file))).length;
const kb = (bytes) => (bytes / 1024).toFixed(1);
const initial = [
  ...html.matchAll(
    /<script[^>]+src="\/([^"]+\.js)"|<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g,
  ),
].map((m) => m[1] ?? m[2]);
const initialBytes = initial.reduce((sum, file) => sum + gzipped(file), 0);
const lazy = readdirSync(join(dist, 'assets'))
  .filter((f) => f.endsWith('.js') && !initial.includes(`assets/${f}`))
  .map((f) => ({ file: f, bytes: gzipped(`assets/${f}`) }))
  .sort((a, b) => b.bytes - a.bytes);

console.log(`initial JavaScript: ${initial.length} files, ${kb(initialBytes)} KB gzipped`);
for (const file of initial) console.log(`  ${file}  ${kb(gzipped(file))} KB`);
console.log(
  `lazy chunks: ${lazy.length}, ${kb(lazy.reduce((s, c) => s + c.bytes, 0))} KB gzipped in all; ` +
    `largest ${lazy[0]?.file ?? '-'} ${kb(lazy[0]?.bytes ?? 0)} KB`,
);
console.log(
  `budget ${BUDGET_KB} KB: ${initialBytes <= BUDGET_KB * 1024 ? 'within' : 'OVER'} ` +
    `(${((initialBytes / (BUDGET_KB * 1024)) * 100).toFixed(0)}%)`,
);
