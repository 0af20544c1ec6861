// OpenNext for AWS, run on this machine: the documented local run ("Local development",
// https://opennext.js.org/aws/contribute/local_run) with the `express-dev` wrapper, the `node`
// converter, the `fs-dev` incremental and tag caches (the entries and the tag table as files under
// .open-next/) and the `direct` queue (a stale page's revalidation is a HEAD request back to the
// server, as the SQS consumer sends it). examples/stack.sh builds it with
// `npx open-next build --config-path open-next.local.config.ts`.
import type { OpenNextConfig } from '@opennextjs/aws/types/open-next.js';

const config = {
  default: {
    override: {
      wrapper: 'express-dev',
      converter: 'node',
      incrementalCache: 'fs-dev',
      queue: 'direct',
      tagCache: 'fs-dev',
    },
  },
  imageOptimization: {
    override: {
      wrapper: 'dummy',
      converter: 'dummy',
    },
    loader: 'fs-dev',
    // No sharp: the site has no images, and OpenNext would `npm install sharp` at every build
    // (build/createImageOptimizationBundle.js takes any value but null or undefined as given).
    install: false as never,
  },
} satisfies OpenNextConfig;

export default config;
