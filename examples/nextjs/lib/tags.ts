// A route's cache tags (isrsim's `[[routes]] tags`), as scripts/generate-routes.mjs parsed them
// from ISR_TAGS at build time: each template is literal text with at most one hole, `{page}`,
// `{page % N}` or `{page / N}` (integer division), filled from the page's index in its route.
// The same tags go to Next.js (on the data the page reads, lib/content.ts) and to the CDN (the
// `xkey` response header, proxy.ts).

/** One parsed template: `prefix`, then the hole's number (none for `hole: null`), then `suffix`. */
export type TagTemplate = {
  prefix: string;
  hole: null | 'page' | '%' | '/';
  n: number;
  suffix: string;
};

/** The tags of the page at `index` of its route, in template order, without duplicates. */
export function fillTags(templates: readonly TagTemplate[], index: number): string[] {
  const tags: string[] = [];
  for (const t of templates) {
    let tag: string;
    if (t.hole === null) tag = t.prefix;
    else if (t.hole === 'page') tag = `${t.prefix}${index}${t.suffix}`;
    else if (t.hole === '%') tag = `${t.prefix}${index % t.n}${t.suffix}`;
    else tag = `${t.prefix}${Math.floor(index / t.n)}${t.suffix}`;
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** A tagged route as proxy.ts knows it: its URL's segments (`null`: the page's index) and tags. */
export type TaggedRoute = { segments: (string | null)[]; tags: TagTemplate[] };

/** The tags of the page at URL path `pathname`: those of the first route it matches, or none. */
export function tagsOfPath(routes: readonly TaggedRoute[], pathname: string): string[] {
  const parts = pathname.split('/').filter((s) => s !== '');
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue;
    let index = 0;
    const matches = route.segments.every((segment, i) => {
      if (segment !== null) return segment === parts[i];
      if (!/^(0|[1-9][0-9]*)$/.test(parts[i])) return false;
      index = Number(parts[i]);
      return true;
    });
    if (matches) return fillTags(route.tags, index);
  }
  return [];
}
