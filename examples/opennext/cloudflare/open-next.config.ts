// OpenNext for Cloudflare, previewed on this machine (`opennextjs-cloudflare preview`: workerd,
// with wrangler's local R2 and D1): the incremental cache in R2, the tag cache in D1 (Next.js's
// tag mode: `revalidateTag` and `revalidatePath` reach the pages), and the memory queue (a stale
// page's revalidation is a request to the worker itself, deduplicated per isolate while in
// flight). See https://opennext.js.org/cloudflare/caching.
import { defineCloudflareConfig } from '@opennextjs/cloudflare';
import r2IncrementalCache from '@opennextjs/cloudflare/overrides/incremental-cache/r2-incremental-cache';
import memoryQueue from '@opennextjs/cloudflare/overrides/queue/memory-queue';
import d1NextTagCache from '@opennextjs/cloudflare/overrides/tag-cache/d1-next-tag-cache';

export default defineCloudflareConfig({
  incrementalCache: r2IncrementalCache,
  tagCache: d1NextTagCache,
  queue: memoryQueue,
});
