# imgbatch: one image for `worker`, `serve`, `simulate` and every other command.
#
#   docker build -t imgbatch .
#   docker run --rm imgbatch --version
#   docker run --rm -e REDIS_URL=redis://host.docker.internal:6379 imgbatch worker
#
# The build stage compiles TypeScript with the dev dependencies, then prunes them away; the
# runtime stage copies only the compiled code and the production dependencies, and runs as an
# unprivileged user. Any Debian-based Node 24 image works as NODE_IMAGE (the image's tests
# build it FROM a local one, because they cannot pull from a registry).
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY jobs ./jobs
COPY contracts ./contracts
# One RUN, so the dev dependencies never become a layer of their own. `npm ci` follows the
# lockfile exactly; `npm prune --omit=dev` then leaves the production tree of that same
# lockfile, except TypeScript: the lockfile marks it devOptional (an optional peer of valibot,
# which @bull-board/api uses), which --omit=dev keeps, though nothing loads it at run time and
# a fresh `npm install --omit=dev` never installs it. `build:image` compiles without type checking
# (`npm run typecheck` is CI's job; the JavaScript is the same) and without declarations or
# source maps, which are for editors and debuggers, not for running: half the compile time.
# Dropping node_modules' own halves node_modules. The symlink gives the entry point the name
# `imgbatch` (Node resolves it, so bin/imgbatch.js still finds ../dist).
RUN npm ci --no-audit --no-fund \
 && npm run build:image \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete \
 && ln -s imgbatch.js bin/imgbatch \
 && mkdir -p /out/data

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PATH=/app/bin:$PATH
WORKDIR /app
# Owned by root and read-only to the user the container runs as.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/jobs ./jobs
COPY --from=build /app/contracts ./contracts
# The one writable place: the default output folder (output/ under the working directory) and
# whatever is mounted here. The user is numeric so Kubernetes' runAsNonRoot can verify it.
COPY --from=build --chown=1000:1000 /out/data /data
WORKDIR /data
USER 1000:1000
# The healthcheck reads the main process's command line: `serve` must answer GET /healthz and
# `simulate` GET /_sim/health; a worker has no endpoint and is healthy while it runs.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "/app/dist/cli/container-healthcheck.js"]
ENTRYPOINT ["imgbatch"]
CMD ["--help"]
