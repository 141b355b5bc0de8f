# Sertantai Controls: a production image (docs/deployment.md, "Container").
#   build  — every dependency, `npm run build` (web/build and the server bundle in dist/; the
#            shared core, packages/core, is bundled into both, so the final image needs none of it)
#   deps   — production dependencies only (`npm ci --omit=dev`)
#   final  — node, the production dependencies, dist/, web/build and the migrations; runs as
#            the unprivileged `node` user and answers its own HEALTHCHECK on /health.
# Node is pinned to the version the test suites run on. Not built on the project's machines
# (no Docker engine there); see docs/deployment.md for what was checked offline.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The workspace's package.json files come with the lock file: npm ci links packages/* by them.
COPY package.json package-lock.json ./
COPY packages/core/package.json ./packages/core/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json ./packages/core/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 DATA_DIR=/var/lib/sertantai
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/build ./web/build
COPY package.json ./
COPY server/migrations ./server/migrations
COPY scripts/start.mjs scripts/web-build-stamp.mjs ./scripts/
RUN mkdir -p /var/lib/sertantai && chown node:node /var/lib/sertantai
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
