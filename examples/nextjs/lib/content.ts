// Reads a page's content from isrsim's content server (docs/load.md, "Content").
//
// A plain node:http request, not `fetch`: Next.js keeps `fetch` answers in its data cache, a
// second cache under the page cache that the model does not have. Every call is one
// regeneration, as the content server counts it.
import http from 'node:http';

export type Content = {
  route: string;
  page: number;
  version: number;
  edited_at_ms: number;
  body: string;
};

// Where the content server listens (isrsim's --cms), read when the server starts.
const CMS = process.env.ISR_CMS ?? '127.0.0.1:4010';
// This instance's name, sent so the content server counts regenerations per instance.
const INSTANCE = process.env.ISR_INSTANCE ?? 'build';
// Longer than any regeneration a scenario should have; a hung request must not hang a page.
const TIMEOUT_MS = 60_000;

const agent = new http.Agent({ keepAlive: true });

/** The content of page `page` of `route`, or null when the content server has no such page. */
export function getContent(route: string, page: number): Promise<Content | null> {
  const [host, port] = splitAddress(CMS);
  const path = `/content/${encodeURIComponent(route)}/${page}`;
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host, port, path, agent, headers: { 'x-isrsim-instance': INSTANCE } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode === 404) return resolve(null);
          if (response.statusCode !== 200) {
            // A failed regeneration (500, 504): the render throws, and Next.js keeps the old page.
            return reject(new Error(`content server: ${response.statusCode} for ${path}: ${text}`));
          }
          try {
            resolve(JSON.parse(text) as Content);
          } catch (e) {
            reject(new Error(`content server: bad JSON for ${path}: ${e}`));
          }
        });
      },
    );
    request.setTimeout(TIMEOUT_MS, () => request.destroy(new Error(`content server: timeout for ${path}`)));
    request.on('error', reject);
  });
}

/** "HOST:PORT" (or "[::1]:PORT") into its host and port. */
function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  if (at < 1 || !Number.isInteger(port)) throw new Error(`ISR_CMS must be HOST:PORT, not ${address}`);
  return [host, port];
}
