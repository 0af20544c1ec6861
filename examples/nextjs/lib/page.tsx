// One page of any route: its content from the content server, and the marker isrsim looks for.
// The pages under app/(isrsim)/, generated before each build, all render through here.
import { notFound } from 'next/navigation';
import { getContent } from './content';
import { fillTags, type TagTemplate } from './tags';

/** The params of the first `count` pages, 0 to count - 1, prerendered by `next build`. */
export function pageParams(count: number): { page: string }[] {
  return Array.from({ length: count }, (_, i) => ({ page: String(i) }));
}

/** Page `page` (the URL's segment, a whole number) of `route`, whose tag templates are `tags`. */
export async function RoutePage({ route, page, tags }: { route: string; page: string; tags: TagTemplate[] }) {
  if (!/^(0|[1-9][0-9]*)$/.test(page)) notFound();
  const index = Number(page);
  const content = await getContent(route, index, fillTags(tags, index));
  if (content === null) notFound(); // a page the content server does not know
  const marker = `isrsim:${route}:${content.page}:${content.version}`;
  return (
    <>
      {/* React puts <meta> into <head>. The marker is the whole of the load tester's check. */}
      <meta name="isrsim" content={marker} />
      <title>{`${route} ${content.page}`}</title>
      <main>
        <h1>
          {route} {content.page}
        </h1>
        <p>{content.body}</p>
        <p>
          <small>
            version {content.version}, rendered by {process.env.ISR_INSTANCE ?? 'build'} at{' '}
            {new Date().toISOString()}
          </small>
        </p>
      </main>
    </>
  );
}
