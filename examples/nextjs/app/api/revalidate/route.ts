// isrsim's webhook (docs/load.md, "URLs: pages, webhooks, purges"):
//   POST /api/revalidate?path=/posts/3[&mode=regenerate|invalidate|mark-stale]
//   POST /api/revalidate?tag=product:3,category:3[&profile=max|SECONDS][&mode=revalidate-tag]
// with the mode in the query or in the header x-isrsim-mode (default regenerate for a path,
// revalidate-tag for tags), and the header x-isrsim-secret, checked against ISR_SECRET when that
// is set.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { revalidatePath, revalidateTag } from 'next/cache';

export const dynamic = 'force-dynamic';

// How long a regeneration may take before the webhook gives up on it.
const TIMEOUT_MS = 60_000;

export async function POST(request: Request): Promise<Response> {
  const secret = process.env.ISR_SECRET;
  if (secret && request.headers.get('x-isrsim-secret') !== secret) {
    return answer(401, { error: 'x-isrsim-secret does not match ISR_SECRET' });
  }
  const url = new URL(request.url);
  const tagList = url.searchParams.get('tag');
  const mode =
    url.searchParams.get('mode') ??
    request.headers.get('x-isrsim-mode') ??
    (tagList !== null ? 'revalidate-tag' : 'regenerate');
  if (mode === 'revalidate-tag') return revalidateTags(tagList, url.searchParams.get('profile'));
  const page = url.searchParams.get('path');
  if (!page || !page.startsWith('/') || page.startsWith('//')) {
    return answer(400, { error: 'path must be a page path such as /posts/3' });
  }
  switch (mode) {
    case 'invalidate':
      // Drops the page: the next request blocks on a fresh render (x-nextjs-cache: MISS).
      revalidatePath(page);
      return answer(200, { revalidated: true, mode, path: page });
    case 'mark-stale':
      // Marks the page stale: the next request gets the old page (STALE) and starts a background
      // render. revalidateTag with the 'max' profile does this for a tag; every page carries the
      // implicit tag `_N_T_` + its path, the one revalidatePath itself expires.
      revalidateTag(`_N_T_${page.length > 1 ? page.replace(/\/+$/, '') : page}`, 'max');
      return answer(200, { revalidated: true, mode, path: page });
    case 'regenerate': {
      // Regenerates the page now and answers once it is stored, as the Pages Router's
      // res.revalidate(path) does: by the same on-demand revalidation request to this server.
      // Users keep getting the old page meanwhile.
      const outcome = await regenerate(page, request);
      if (outcome.ok) return answer(200, { revalidated: true, mode, path: page });
      return answer(outcome.status === 404 ? 404 : 500, { error: outcome.error, mode, path: page });
    }
    default:
      return answer(400, { error: 'mode is regenerate, invalidate, mark-stale or revalidate-tag' });
  }
}

/**
 * `revalidateTag(tag, profile)` for each tag of `tagList` (comma-separated: a tag holds no comma),
 * with `profile` `max` (the default: every entry carrying the tag is stale now, its next visit
 * served stale while one background render runs) or a whole number of seconds N, `{ expire: N }`
 * (stale now, and expired N seconds from now: a visit after that blocks on a render; 0 expires
 * now, as `updateTag` does in a Server Action). Answered at once; Next.js applies the tags when
 * the handler returns.
 */
function revalidateTags(tagList: string | null, profileText: string | null): Response {
  const tags = (tagList ?? '').split(',').filter((tag) => tag !== '');
  if (tags.length === 0) {
    return answer(400, { error: 'tag must list the tags to revalidate, comma-separated' });
  }
  const text = profileText ?? 'max';
  let profile: 'max' | { expire: number };
  if (text === 'max') profile = 'max';
  else if (/^(0|[1-9][0-9]*)$/.test(text)) profile = { expire: Number(text) };
  else return answer(400, { error: 'profile is max or a whole number of seconds' });
  for (const tag of tags) revalidateTag(tag, profile);
  return answer(200, { revalidated: true, mode: 'revalidate-tag', tags, profile: text });
}

function answer(status: number, body: object): Response {
  return Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
}

type Outcome = { ok: true } | { ok: false; status: number; error: string };

// The build's preview-mode id, the key of Next.js's on-demand revalidation request.
let previewModeId: string | undefined;
function readPreviewModeId(): string {
  if (previewModeId === undefined) {
    const file = path.join(process.cwd(), '.next', 'prerender-manifest.json');
    previewModeId = JSON.parse(fs.readFileSync(file, 'utf8')).preview.previewModeId as string;
  }
  return previewModeId;
}

/** Sends Next.js's on-demand revalidation request for `page` to this instance and waits. */
function regenerate(page: string, request: Request): Promise<Outcome> {
  // This instance's port: PORT as `next start` takes it, else the port the webhook came to.
  const port = Number(process.env.PORT || new URL(request.url).port || 3000);
  const headers = { 'x-prerender-revalidate': readPreviewModeId() };
  return new Promise((resolve) => {
    const sent = http.request({ host: '127.0.0.1', port, path: page, method: 'HEAD', headers }, (response) => {
      response.resume();
      response.on('end', () => {
        const cache = response.headers['x-nextjs-cache'] ?? 'none';
        const status = response.statusCode ?? 0;
        // A regenerated page answers 200 (x-nextjs-cache: REVALIDATED); a page the content server
        // does not know, 404; a failed render (the content server's 500 or 504), 500.
        if (status === 200) resolve({ ok: true });
        else resolve({ ok: false, status, error: `regenerating ${page} answered ${status} (x-nextjs-cache: ${cache})` });
      });
    });
    sent.setTimeout(TIMEOUT_MS, () => sent.destroy(new Error('timeout')));
    sent.on('error', (e) => resolve({ ok: false, status: 0, error: `regenerating ${page}: ${e.message}` }));
    sent.end();
  });
}
