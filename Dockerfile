# syntax=docker/dockerfile:1
#
# One image for both entry points of callback-events:
#   docker run ... callback-events npm run api      (HTTP API, the default CMD)
#   docker run ... callback-events npm run worker   (Temporal worker)
# TypeScript runs through tsx at start-up; there is no separate compile step.

# --- Stage 1: install production dependencies --------------------------------
# better-sqlite3 is a native module. npm ci normally fetches a prebuilt binary;
# when none matches the platform it compiles from source, which needs the
# toolchain below. The toolchain stays in this stage and never reaches the
# runtime image.
FROM node:20-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- Stage 2: runtime ----------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
# Application code stays owned by root (read-only to the app user); only the
# data directory is writable by `node`.
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# Workers start from this bundle instead of bundling the workflows at each start (half the start time).
RUN npm run build:workflows \
 && mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
CMD ["npm", "run", "api"]
