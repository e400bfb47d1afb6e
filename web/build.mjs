// Build the web pages into api/static/dist/ (not committed; `make setup` runs `npm run build:web`).
// Everything the pages load is bundled here: nothing comes from a CDN at run time.

import { cp, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const out = join(root, 'api', 'static', 'dist');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

await build({
  entryPoints: {
    citizen: join(web, 'src', 'citizen.js'),
    audit: join(web, 'src', 'audit.js'),
    saksi: join(web, 'src', 'style.css'),
  },
  outdir: out,
  bundle: true,
  format: 'esm',
  // code only some visits need (the receipt's QR encoder) is a chunk of its own, loaded on demand
  splitting: true,
  chunkNames: 'chunk-[name]-[hash]',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  charset: 'utf8',
  logLevel: 'info',
});

for (const file of ['citizen.html', 'audit.html', 'favicon.svg']) await cp(join(web, file), join(out, file));

// The API documentation at /docs: Swagger UI from its npm package (pinned), served from here too.
const swagger = join(root, 'node_modules', 'swagger-ui-dist');
for (const [file, as] of [
  ['swagger-ui-bundle.js', 'swagger-ui-bundle.js'],
  ['swagger-ui.css', 'swagger-ui.css'],
  ['LICENSE', 'swagger-ui.LICENSE.txt'],
  ['NOTICE', 'swagger-ui.NOTICE.txt'],
]) await cp(join(swagger, file), join(out, as));
console.log(`web pages built into ${out}`);
