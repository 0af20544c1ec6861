// The reference site for isrsim's load tester: plain ISR, nothing else.
import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // The default expireTime (a year), stated so it is seen: pages get `Cache-Control: s-maxage=R,
  // stale-while-revalidate=<a year - R>`, which the CDNs in ../cdn read as TTL and grace.
  expireTime: 31536000,
  // This folder is a project of its own, whatever lock files lie above it.
  turbopack: { root: fileURLToPath(new URL('.', import.meta.url)) },
};

export default nextConfig;
