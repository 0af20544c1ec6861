// Reads what examples/stack.sh needs from an isrsim scenario, for one policy, and prints it as
// shell assignments (SC_NAME=..., one a line). Run `isrsim validate` on the file first: this
// script trusts the scenario's shape and only reads it. A [sweep] is ignored: the site is built
// from the scenario's base, as `isrsim cms` serves it.
//
//   node scripts/read-scenario.mjs SCENARIO.toml [POLICY]
import fs from 'node:fs';
import { parse } from 'smol-toml';

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

const [file, wanted] = process.argv.slice(2);
if (!file) fail('usage: read-scenario.mjs SCENARIO.toml [POLICY]');
const scenario = parse(fs.readFileSync(file, 'utf8'));

const policies = scenario.policies ?? [];
const names = policies.map((p) => p.name);
let policy;
if (wanted) {
  policy = policies.find((p) => p.name === wanted);
  if (!policy) fail(`${file} has no policy "${wanted}"; its policies: ${names.join(', ')}`);
} else if (policies.length === 1) {
  policy = policies[0];
} else {
  fail(`${file} has ${policies.length} policies (${names.join(', ')}): choose one with --policy`);
}

// Durations as isrsim reads them (src/time.rs): a number, then us, ms, s, m, h, d or y.
const UNITS = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, y: 31536000 };

/** A revalidate value as the site takes it: `false`, or a whole number of seconds. */
function revalidateOf(route) {
  const value = policy.routes?.[route]?.revalidate ?? policy.revalidate ?? false;
  if (value === false) return 'false';
  const match = /^\s*([0-9.]+)\s*(us|ms|s|m|h|d|y)\s*$/.exec(String(value));
  const seconds = match ? Number(match[1]) * UNITS[match[2]] : NaN;
  const whole = Math.round(seconds);
  if (!(whole >= 1) || Math.abs(seconds - whole) > 1e-9) {
    fail(`policy ${policy.name}, route ${route}: revalidate = "${value}" is not a whole number of seconds (Next.js takes seconds)`);
  }
  return String(whole);
}

/** `[origin] expire`, Next.js's `expireTime`, in whole seconds (a year unless set). */
function expireOf() {
  const value = scenario.origin?.expire ?? '1y';
  const match = /^\s*([0-9.]+)\s*(us|ms|s|m|h|d|y)\s*$/.exec(String(value));
  const seconds = match ? Number(match[1]) * UNITS[match[2]] : NaN;
  const whole = Math.round(seconds);
  if (!(whole >= 1) || Math.abs(seconds - whole) > 1e-9) {
    fail(`[origin] expire = "${value}" is not a whole number of seconds (Next.js's expireTime takes seconds)`);
  }
  return String(whole);
}

const routes = (scenario.routes ?? []).map((route) => {
  const path = route.path ?? '/{route}/{page}';
  if (/[:,\s]/.test(path)) fail(`route ${route.name}: the site cannot take a path with ':', ',' or spaces: ${path}`);
  const prerendered = route.prerendered ?? true;
  const policyOf = (key, fallback) => policy.routes?.[route.name]?.[key] ?? policy[key] ?? fallback;
  return {
    spec: `${route.name}:${prerendered ? route.pages : 0}:${revalidateOf(route.name)}:${path}`,
    revalidate: revalidateOf(route.name),
    onEdit: policyOf('on_edit', 'none'),
    purge: policyOf('purge_cdn', false) === true,
    schedule: policyOf('schedule', false),
    expire: policyOf('expire', undefined),
  };
});

// The routes' tag templates (`[[routes]] tags`), as the site's ISR_TAGS takes them: a JSON object
// from a route's name to its templates, with only the routes that have tags ('{}' for none).
const tags = Object.fromEntries(
  (scenario.routes ?? []).filter((route) => (route.tags ?? []).length > 0).map((route) => [route.name, route.tags]),
);

const unique = (list) => [...new Set(list)].join(',');
const out = {
  SC_NAME: scenario.name ?? file.replace(/^.*\//, '').replace(/\.toml$/, ''),
  SC_POLICY: policy.name,
  SC_ROUTES: routes.map((r) => r.spec).join(','),
  SC_TAGS: JSON.stringify(tags),
  SC_REVALIDATES: unique(routes.map((r) => r.revalidate)),
  SC_ON_EDIT: unique(routes.map((r) => r.onEdit)),
  SC_PURGE: String(routes.some((r) => r.purge)),
  SC_WEBHOOKS: String(routes.some((r) => r.onEdit !== 'none' || (r.schedule && r.schedule !== false))),
  SC_INSTANCES: String(scenario.origin?.instances ?? 1),
  SC_CACHE: scenario.origin?.cache ?? 'local',
  SC_CDN: String(scenario.cdn !== undefined),
  SC_SWEEP: String(scenario.sweep !== undefined),
  SC_EXPIRE: expireOf(),
  SC_ROUTE_EXPIRE: String(routes.some((r) => r.expire !== undefined)),
};
// Single-quoted for the shell: a ' becomes '\''.
for (const [key, value] of Object.entries(out)) {
  console.log(`${key}='${String(value).replaceAll("'", "'\\''")}'`);
}
