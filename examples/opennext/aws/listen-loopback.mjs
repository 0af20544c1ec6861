// Preloaded (`node --import`) by examples/stack.sh into OpenNext's server, the `express-dev`
// wrapper of the documented local run, which calls `app.listen(PORT)` and so listens on every
// interface:
//
// - every `listen` that names a port but no host gets the host 127.0.0.1 (LISTEN_HOST when set):
//   nothing listens beyond loopback;
// - each request without `x-forwarded-host` gets `x-forwarded-host: OPENNEXT_LOCAL_HOST` (when
//   set; stack.sh sets `localhost:PORT`). OpenNext takes that header as the request's host
//   (core/requestHandler.js), and its `direct` queue calls a stale page's revalidation back at
//   `https://HOST/…` unless HOST contains "localhost" (overrides/queue/direct.js): with
//   `Host: 127.0.0.1:PORT` every background regeneration fails (an https request to a plain http
//   server, logged, not answered) and pages stay STALE. On AWS, CloudFront sends the viewer's host
//   the same way (x-forwarded-host);
// - an HTTP server keeps idle connections 65 s (Node.js's default is 5 s), longer than the CDN in
//   front keeps its backend connections, so that the CDN never reuses a connection the server is
//   closing (a broken answer to the user), as `next start --keepAliveTimeout 65000` does.
import net from 'node:net';

const HOST = process.env.LISTEN_HOST ?? '127.0.0.1';
const LOCAL_HOST = process.env.OPENNEXT_LOCAL_HOST;
const KEEP_ALIVE_MS = 65_000;
const listen = net.Server.prototype.listen;

function nameTheHost(request) {
  if (request.headers['x-forwarded-host'] === undefined) {
    request.headers['x-forwarded-host'] = LOCAL_HOST;
  }
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^[0-9]+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, HOST);
  } else if (first !== null && typeof first === 'object' && first.path === undefined && first.host === undefined) {
    args[0] = { ...first, host: HOST };
  }
  if (this.keepAliveTimeout !== undefined) {
    this.keepAliveTimeout = KEEP_ALIVE_MS;
    this.headersTimeout = KEEP_ALIVE_MS + 1_000;
  }
  // An HTTP server's own request listener runs after this one.
  if (LOCAL_HOST && this.listenerCount('request') > 0) {
    this.prependListener('request', nameTheHost);
  }
  return listen.apply(this, args);
};
