/**
 * The container health check (Dockerfile HEALTHCHECK, docker-compose.yml): GETs a URL of this
 * container and exits 0 on a 2xx, 1 otherwise. The image has no curl; node is there anyway.
 * Default: the API's liveness, http://127.0.0.1:$PORT/healthz; the worker passes its metrics URL.
 */
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT || 3000}/healthz`;

fetch(url, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  (err: Error) => {
    console.error(`${url}: ${err.message}`);
    process.exit(1);
  },
);
