// Reads a page's content from isrsim's content server (docs/load.md, "Content"), tagged with the
// page's cache tags.
//
// Next.js's `fetch` with `next: { tags }` and no `cache` or `revalidate` option: the tags go onto
// the entry of the page being rendered (its `x-next-cache-tags`), so that `revalidateTag` reaches
// it, and the answer itself is not kept in Next.js's data cache: at run time such a fetch is
// "auto no cache" (Next.js 16.4.6, packages/next/src/server/lib/patch-fetch.ts), so every render
// is one request to the content server, one regeneration as the content server counts it. Only
// `next build` keeps it (its implicit build-time cache); the postbuild script removes that.
export type Content = {
  route: string;
  page: number;
  version: number;
  edited_at_ms: number;
  body: string;
};

// Where the content server listens (isrsim's --cms, HOST:PORT or [IPv6]:PORT), read when the
// server starts.
const CMS = process.env.ISR_CMS ?? '127.0.0.1:4010';
if (!/^(\[[0-9A-Fa-f:.]+\]|[^:[\]/]+):[0-9]+$/.test(CMS)) throw new Error(`ISR_CMS must be HOST:PORT, not ${CMS}`);
// This instance's name, sent so the content server counts regenerations per instance.
const INSTANCE = process.env.ISR_INSTANCE ?? 'build';
// Longer than any regeneration a scenario should have; a hung request must not hang a page.
const TIMEOUT_MS = 60_000;

/**
 * The content of page `page` of `route`, or null when the content server has no such page; the
 * page's entry carries `tags`.
 */
export async function getContent(route: string, page: number, tags: string[]): Promise<Content | null> {
  const url = `http://${CMS}/content/${encodeURIComponent(route)}/${page}`;
  const response = await fetch(url, {
    headers: { 'x-isrsim-instance': INSTANCE },
    next: { tags },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status === 404) return null;
  if (response.status !== 200) {
    // A failed regeneration (500, 504): the render throws, and Next.js keeps the old page.
    throw new Error(`content server: ${response.status} for ${url}: ${text}`);
  }
  try {
    return JSON.parse(text) as Content;
  } catch (e) {
    throw new Error(`content server: bad JSON for ${url}: ${e}`);
  }
}
