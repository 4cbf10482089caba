/**
 * Docker: a multi-stage Dockerfile (the build stage installs every dependency and runs
 * `npm run build`; the runtime stage installs production dependencies only and runs as the
 * unprivileged `node` user, with a HEALTHCHECK on the health plugin's liveness route), a
 * `.dockerignore`, and `compose.yaml` with PostgreSQL (and Redis when the app uses it) where
 * a one-shot `migrate` service applies the migrations before the API starts.
 * All three are written once and belong to the project afterwards.
 */
import type { ProjectIR } from "../../compiler/ir.js";
import { databaseEnv, livenessPath, packageName, redisEnv, serverPort } from "../settings.js";
import type { Target } from "../types.js";

/** Pinned images of the services compose.yaml starts next to the app. */
export const POSTGRES_IMAGE = "postgres:16.4-bookworm";
export const REDIS_IMAGE = "redis:7.2.5-bookworm";

/**
 * The `build` script the Dockerfile runs (package.json): the server and the migration runner,
 * bundled; packages stay in node_modules, which the runtime stage installs without dev dependencies.
 */
export const BUILD_SCRIPT = "esbuild src/server.ts src/migrate.ts --bundle --platform=node --target=node20 --format=esm --packages=external --outdir=dist/node --out-extension:.js=.mjs";

function dockerfile(ir: ProjectIR): string {
  const { baseImage, image } = ir.deployment.docker;
  const { port, env: portEnv } = serverPort(ir);
  const health = livenessPath(ir);
  const migrations = ir.database.migrations.folder;
  const probe = health
    ? `
# Liveness only: a database outage should not get the container restarted (readiness is for load balancers).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.${portEnv ?? "PORT"} || ${port}) + '${health}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]`
    : "";
  return `# syntax=docker/dockerfile:1
# Docker image for ${ir.name} (generated once by yamac; yours to edit).
#   docker build -t ${image}:${ir.version} .
#   docker compose up --build        # with PostgreSQL, migrations applied first

# Build stage: every dependency, then the bundled server and migration runner (dist/node/).
FROM ${baseImage} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime stage: production dependencies only, no sources, run as the unprivileged node user.
FROM ${baseImage} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/node ./dist/node
COPY --from=build /app/${migrations} ./dist/${migrations}
# PGlite keeps its files here when DATABASE_URL is unset (mount a volume to keep them).
RUN mkdir -p .yama && chown node:node .yama
USER node
${portEnv ? `ENV ${portEnv}=${port}\n` : ""}EXPOSE ${port}${probe}
CMD ["node", "dist/node/server.mjs"]
`;
}

const DOCKERIGNORE = `# Kept out of the build context (generated once by yamac; yours to edit).
node_modules
dist
.yama
.git
.env
.env.*
!.env.example
npm-debug.log*
Dockerfile
.dockerignore
compose.yaml
`;

function compose(ir: ProjectIR): string {
  const { image } = ir.deployment.docker;
  const { port, env: portEnv } = serverPort(ir);
  const dbEnv = databaseEnv(ir);
  const redis = redisEnv(ir);
  const databaseUrl = "postgres://app:${POSTGRES_PASSWORD}@db:5432/app";
  const redisService = redis
    ? `
  redis:
    image: ${REDIS_IMAGE}
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 5s
      timeout: 3s
      retries: 10
`
    : "";
  return `# Docker Compose for ${ir.name} (generated once by yamac; yours to edit).
#   POSTGRES_PASSWORD=… docker compose up --build
# The migrate service applies ${ir.database.migrations.folder}/ and exits; the API starts once it succeeded.
name: ${packageName(ir)}

services:
  db:
    image: ${POSTGRES_IMAGE}
    environment:
      POSTGRES_USER: app
      POSTGRES_DB: app
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}
    volumes:
      - db-data:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U app -d app"]
      interval: 5s
      timeout: 3s
      retries: 10
${redisService}
  migrate:
    build: .
    image: ${image}:${ir.version}
    command: ["node", "dist/node/migrate.mjs"]
    environment:
      ${dbEnv}: ${databaseUrl}
    depends_on:
      db:
        condition: service_healthy

  api:
    build: .
    image: ${image}:${ir.version}
    ports:
      - "${port}:${port}"
    environment:
      ${dbEnv}: ${databaseUrl}${redis ? `\n      ${redis}: redis://redis:6379` : ""}${portEnv ? `\n      ${portEnv}: "${port}"` : ""}
    depends_on:
      migrate:
        condition: service_completed_successfully
      db:
        condition: service_healthy${redis ? "\n      redis:\n        condition: service_healthy" : ""}
    restart: unless-stopped

volumes:
  db-data:
`;
}

export const dockerTarget: Target = {
  name: "docker",
  emit(ir) {
    return [
      { path: "Dockerfile", content: dockerfile(ir), ifMissing: true },
      { path: ".dockerignore", content: DOCKERIGNORE, ifMissing: true },
      { path: "compose.yaml", content: compose(ir), ifMissing: true },
    ];
  },
};
