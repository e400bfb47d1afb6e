// Build the web pages into api/static/dist/ (not committed; `make setup` runs `npm run build:web`).
// Everything the pages load is bundled here: nothing comes from a CDN at run time.

import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const out = join(root, 'api', 'static', 'dist');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const common = {
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  charset: 'utf8',
  logLevel: 'info',
};
// Each page is built on its own, so that it shares no chunk with the other (one file compresses better
// than several); within the citizen page, code only some visits need (the receipt and its QR encoder,
// the receipt checker and its QR decoder) is a chunk of its own, loaded on demand.
await build({
  ...common,
  entryPoints: { citizen: join(web, 'src', 'citizen.js') },
  splitting: true,
  chunkNames: 'chunk-[name]-[hash]',
});
await build({ ...common, entryPoints: { audit: join(web, 'src', 'audit.js'), saksi: join(web, 'src', 'style.css') } });

for (const file of ['citizen.html', 'audit.html', 'favicon.svg', 'manifest.webmanifest']) await cp(join(web, file), join(out, file));

// The service worker: every file of the citizen page (its chunks loaded on demand too, so that a receipt
// can be checked offline), versioned by their contents, so that a new build replaces the old copies.
{
  const files = (await readdir(out)).filter((n) => /^(citizen\.js|chunk-.*\.js|saksi\.css|favicon\.svg)$/.test(n)).sort();
  const precache = ['/', '/manifest.webmanifest', ...files.map((n) => `/static/${n}`)];
  const digest = createHash('sha256');
  for (const n of [...files, 'citizen.html', 'manifest.webmanifest']) digest.update(n).update(await readFile(join(out, n)));
  const worker = (await readFile(join(web, 'sw.js'), 'utf8'))
    .replace("'__VERSION__'", JSON.stringify(digest.digest('hex').slice(0, 16)))
    .replace('__PRECACHE__', JSON.stringify(precache));
  await writeFile(join(out, 'sw.js'), worker);
}

// The API documentation at /docs: Swagger UI from its npm package (pinned), served from here too.
const swagger = join(root, 'node_modules', 'swagger-ui-dist');
for (const [file, as] of [
  ['swagger-ui-bundle.js', 'swagger-ui-bundle.js'],
  ['swagger-ui.css', 'swagger-ui.css'],
  ['LICENSE', 'swagger-ui.LICENSE.txt'],
  ['NOTICE', 'swagger-ui.NOTICE.txt'],
]) await cp(join(swagger, file), join(out, as));
// Every page and asset also compressed beside it (name.br, name.gz): the server sends these to clients
// that accept them (api/routers/web.py), so what a phone downloads is the compressed size.
for (const name of await readdir(out)) {
  if (!/\.(js|css|html|svg|txt|webmanifest)$/.test(name)) continue;
  const data = await readFile(join(out, name));
  await writeFile(join(out, `${name}.gz`), gzipSync(data, { level: 9 }));
  await writeFile(join(out, `${name}.br`), brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
}
console.log(`web pages built into ${out}`);
