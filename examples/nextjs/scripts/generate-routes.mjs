// Writes one page file per route under app/(isrsim)/ before `next build` (npm's prebuild).
//
// Next.js reads a segment's `export const revalidate` only as a literal in the page file itself,
// so the interval chosen at build time (ISR_REVALIDATE) is written into generated files, one per
// route, which also lets each route have its own interval and its own URL path.
//
//   ISR_ROUTES      routes, comma-separated: NAME:PAGES[:REVALIDATE[:PATH]]
//                   PAGES pages prerendered by the build (0 to 0 + PAGES - 1; 0: none, each page
//                   generated on its first request); REVALIDATE as ISR_REVALIDATE, for this
//                   route; PATH the route's URL, default /NAME/{page} (isrsim's `path`).
//                   Default: posts:100,lists:10
//   ISR_REVALIDATE  seconds (a whole number above 0), or `false` for on-demand only. Default false.
//   ISR_TAGS        the routes' cache tags (isrsim's `[[routes]] tags`), as JSON: an object from a
//                   route's NAME to its tag templates, for example
//                   {"products":["product:{page}","category:{page % 300}","catalog"]}. A template
//                   is printable ASCII without spaces or commas (Next.js keeps an entry's tags
//                   comma-separated, vmod_xkey splits its header at spaces and commas), not
//                   starting with `_N_T_` (Next.js's implicit path tags), with at most one hole:
//                   `{page}`, `{page % N}` or `{page / N}` (integer division), N a whole number
//                   from 1, filled with the page's index. Default: no tags.
//
// A route with tags tags the data its pages read (lib/content.ts), so that Next.js's entry of each
// page carries them and `revalidateTag` reaches it, and sends them in the `xkey` response header
// for the CDN: when some route has tags, proxy.ts is written too (and removed when none has), so
// a site built without tags runs no proxy at all.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'app', '(isrsim)');

function fail(message) {
  console.error(`generate-routes: ${message}`);
  process.exit(2);
}

/** `false`, or a whole number of seconds above 0, as the literal to write. */
function revalidateLiteral(text, what) {
  const value = text.trim();
  if (value === 'false') return 'false';
  if (/^[1-9][0-9]*$/.test(value)) return value;
  fail(`${what} must be a whole number of seconds above 0, or false; got "${text}"`);
}

/** The folder (under app/(isrsim)/) of a route's URL path, and whether it has a {page} segment. */
function folderOf(name, urlPath) {
  if (!urlPath.startsWith('/')) fail(`route ${name}: path must start with /, got ${urlPath}`);
  const segments = urlPath.replaceAll('{route}', name).split('/').filter((s) => s !== '');
  let paged = false;
  const folders = segments.map((segment) => {
    if (segment === '{page}') {
      if (paged) fail(`route ${name}: path holds {page} twice`);
      paged = true;
      return '[page]';
    }
    // Plain URL segments only: no other placeholder, no Next.js folder syntax ([x], (x), @x, _x).
    if (!/^[A-Za-z0-9][A-Za-z0-9._~-]*$/.test(segment)) {
      fail(`route ${name}: path segment "${segment}" is not supported (plain segments and a whole {page} only)`);
    }
    return segment;
  });
  if (folders.length === 0) fail(`route ${name}: the path / is the site's home page`);
  if (folders[0] === 'api') fail(`route ${name}: paths under /api are the site's own`);
  return { folder: folders.join('/'), paged };
}

/** A tag template parsed into lib/tags.ts's TagTemplate, or a failure naming what is allowed. */
function parseTemplate(route, text) {
  const where = `ISR_TAGS, route ${route}: tag "${text}"`;
  if (typeof text !== 'string' || text === '') fail(`${where}: a tag template is a non-empty string`);
  if (text.startsWith('_N_T_')) fail(`${where}: tags starting with _N_T_ are Next.js's implicit path tags`);
  const open = text.indexOf('{');
  let prefix = text;
  let suffix = '';
  let hole = null;
  let n = 0;
  if (open >= 0) {
    const close = text.indexOf('}', open);
    if (close < 0) fail(`${where}: a { without its }`);
    const match = /^\s*page\s*(?:([%/])\s*([0-9]+))?\s*$/.exec(text.slice(open + 1, close));
    if (!match || (match[2] !== undefined && Number(match[2]) < 1)) {
      fail(`${where}: a hole is {page}, {page % N} or {page / N}, N a whole number from 1`);
    }
    prefix = text.slice(0, open);
    suffix = text.slice(close + 1);
    hole = match[1] ?? 'page';
    n = match[2] === undefined ? 0 : Number(match[2]);
  }
  if (/[{}]/.test(prefix + suffix)) fail(`${where}: at most one hole, and no other braces`);
  if (!/^[\x21-\x7e]*$/.test(prefix + suffix) || (prefix + suffix).includes(',')) {
    fail(`${where}: printable ASCII without spaces or commas only`);
  }
  return { prefix, hole, n, suffix };
}

/** ISR_TAGS: route name to parsed templates. */
function readTags(text, names) {
  let spec;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    fail(`ISR_TAGS is not JSON (${e.message}): ${text}`);
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    fail('ISR_TAGS must be a JSON object from route names to lists of tag templates');
  }
  const tags = new Map();
  for (const [route, templates] of Object.entries(spec)) {
    if (!names.includes(route)) fail(`ISR_TAGS names route ${route}, which ISR_ROUTES does not have`);
    if (!Array.isArray(templates)) fail(`ISR_TAGS, route ${route}: a list of tag templates, not ${JSON.stringify(templates)}`);
    if (templates.length > 128) fail(`ISR_TAGS, route ${route}: at most 128 tags (Next.js keeps no more)`);
    tags.set(route, templates.map((t) => parseTemplate(route, t)));
  }
  return tags;
}

function pageFile({ name, pages, revalidate, paged, tags }) {
  const params = paged
    ? `
export const dynamicParams = true; // pages beyond the prerendered ones are generated on request
export function generateStaticParams() {
  return pageParams(${pages});
}

export default async function Page({ params }: { params: Promise<{ page: string }> }) {
  return <RoutePage route={${JSON.stringify(name)}} page={(await params).page} tags={TAGS} />;
}
`
    : `
export default async function Page() {
  return <RoutePage route={${JSON.stringify(name)}} page="0" tags={TAGS} />;
}
`;
  return `// Generated by scripts/generate-routes.mjs from ISR_ROUTES, ISR_REVALIDATE and ISR_TAGS: do not edit.
import { ${paged ? 'RoutePage, pageParams' : 'RoutePage'} } from '@/lib/page';
import type { TagTemplate } from '@/lib/tags';

export const revalidate = ${revalidate};

// The route's tag templates, filled for each page.
const TAGS: TagTemplate[] = ${JSON.stringify(tags)};
${params}`;
}

const fallback = revalidateLiteral(process.env.ISR_REVALIDATE ?? 'false', 'ISR_REVALIDATE');
const spec = process.env.ISR_ROUTES ?? 'posts:100,lists:10';
const routes = spec.split(',').map((entry) => {
  const [name, pages, revalidate, urlPath, ...rest] = entry.trim().split(':');
  if (rest.length > 0 || !name || pages === undefined) fail(`ISR_ROUTES entry "${entry}" is not NAME:PAGES[:REVALIDATE[:PATH]]`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._~-]*$/.test(name)) fail(`route name "${name}" is not supported (letters, digits, . _ ~ -)`);
  if (!/^(0|[1-9][0-9]*)$/.test(pages)) fail(`route ${name}: PAGES must be a whole number, got "${pages}"`);
  const { folder, paged } = folderOf(name, urlPath || '/{route}/{page}');
  return {
    name,
    pages: Number(pages),
    revalidate: revalidate ? revalidateLiteral(revalidate, `route ${name}'s REVALIDATE`) : fallback,
    folder,
    paged,
  };
});

const tagsOf = readTags(process.env.ISR_TAGS || '{}', routes.map((r) => r.name));
for (const route of routes) route.tags = tagsOf.get(route.name) ?? [];

const seen = new Map();
for (const route of routes) {
  const other = seen.get(route.folder);
  if (other) fail(`routes ${other} and ${route.name} have the same path`);
  seen.set(route.folder, route.name);
}

fs.rmSync(out, { recursive: true, force: true });
for (const route of routes) {
  const dir = path.join(out, route.folder);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'page.tsx'), pageFile(route));
  console.log(`generate-routes: /${route.folder} route ${route.name}, ${route.pages} prerendered, revalidate = ${route.revalidate}`);
}

// The proxy that sends each page's tags in `xkey`, only when some route has tags.
const proxyFile = path.join(root, 'proxy.ts');
const tagged = routes.filter((r) => r.tags.length > 0);
if (tagged.length === 0) {
  fs.rmSync(proxyFile, { force: true });
} else {
  const table = tagged.map((r) => ({
    segments: r.folder.split('/').map((s) => (s === '[page]' ? null : s)),
    tags: r.tags,
  }));
  const matcher = tagged.map((r) => `/${r.folder.replace('[page]', ':page')}`);
  fs.writeFileSync(proxyFile, proxySource(table, matcher));
  for (const r of tagged) console.log(`generate-routes: route ${r.name} tagged ${r.tags.length} time(s); proxy.ts sends xkey`);
}

function proxySource(table, matcher) {
  return `// Generated by scripts/generate-routes.mjs from ISR_ROUTES and ISR_TAGS: do not edit.
// Sends each page's cache tags in the \`xkey\` response header (space-separated, as Varnish's
// vmod_xkey reads it), so that the CDN can purge every page that carries a tag.
import { NextResponse } from 'next/server';
import type { NextRequest } from 'next/server';
import { tagsOfPath, type TaggedRoute } from './lib/tags';

const ROUTES: TaggedRoute[] = ${JSON.stringify(table)};

export function proxy(request: NextRequest) {
  const response = NextResponse.next();
  const tags = tagsOfPath(ROUTES, request.nextUrl.pathname);
  if (tags.length > 0) response.headers.set('xkey', tags.join(' '));
  return response;
}

// The tagged routes' paths only.
export const config = { matcher: ${JSON.stringify(matcher)} };
`;
}
