// The reference site for isrsim's load tester: plain ISR, nothing else.
import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // The scenario's `[origin] expire` (examples/stack.sh sets ISR_EXPIRE), else Next.js's default
  // of a year: pages get `Cache-Control: s-maxage=R, stale-while-revalidate=<expire - R>`, which
  // the CDNs in ../cdn read as TTL and grace, and an entry older than it is not served stale.
  expireTime: Number(process.env.ISR_EXPIRE ?? 31536000),
  // This folder is a project of its own, whatever lock files lie above it.
  turbopack: { root: fileURLToPath(new URL('.', import.meta.url)) },
};

export default nextConfig;
