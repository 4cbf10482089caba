/**
 * `yamac ci generate --provider github|gitlab|circleci [dir]`: a CI pipeline for the project.
 * Every provider runs the same steps: install, check that the committed src/ is what the config
 * compiles to, `yamac check`, type-check, apply migrations to a throw-away PostgreSQL, test,
 * `yamac build` (dist/ kept as an artifact). yamac runs through npx, so the project lists it
 * as a devDependency. Written once; the file belongs to the project afterwards.
 */
import type { ProjectIR } from "./ir.js";
import { DEFAULT_BASE_IMAGE } from "./2-analyze/deployment.js";
import { POSTGRES_IMAGE, REDIS_IMAGE } from "../targets/docker/index.js";
import { databaseEnv, redisEnv } from "../targets/settings.js";

export const CI_PROVIDERS = ["github", "gitlab", "circleci"] as const;
export type CiProvider = (typeof CI_PROVIDERS)[number];

/** The steps, in order: [name, command]. */
const STEPS: readonly [string, string][] = [
  ["Generated code is up to date", "npx yamac compile && git diff --exit-code"],
  ["Check the config", "npx yamac check"],
  ["Type-check", "npm run typecheck"],
  ["Apply migrations to the test database", "npx yamac migrate up"],
  ["Test", "npm test --if-present"],
  ["Build", "npx yamac build"],
];

/** The image CI jobs run in: the Docker target's Node, with git (for the up-to-date check). */
const NODE_IMAGE = DEFAULT_BASE_IMAGE.replace("-slim", "");

function github(ir: ProjectIR): string {
  const redis = redisEnv(ir);
  const steps = STEPS.map(([name, run]) => `      - name: ${name}\n        run: ${run}`).join("\n");
  return `# CI for ${ir.name} (generated once by \`yamac ci generate\`; yours to edit).
# yamac runs through npx: list it in the project's devDependencies.
name: ci

on:
  push:
    branches: [main]
  pull_request:

jobs:
  build:
    runs-on: ubuntu-24.04
    services:
      postgres:
        image: ${POSTGRES_IMAGE}
        env:
          POSTGRES_HOST_AUTH_METHOD: trust
        ports: ["5432:5432"]
        options: >-
          --health-cmd "pg_isready -U postgres"
          --health-interval 5s --health-timeout 3s --health-retries 20
${redis ? `      redis:
        image: ${REDIS_IMAGE}
        ports: ["6379:6379"]
        options: >-
          --health-cmd "redis-cli ping"
          --health-interval 5s --health-timeout 3s --health-retries 20
` : ""}    env:
      ${databaseEnv(ir)}: postgres://postgres@localhost:5432/postgres${redis ? `\n      ${redis}: redis://localhost:6379` : ""}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - name: Install
        run: npm ci
${steps}
      - uses: actions/upload-artifact@v4
        with:
          name: dist
          path: dist
`;
}

function gitlab(ir: ProjectIR): string {
  const redis = redisEnv(ir);
  const script = (steps: readonly [string, string][]) => steps.map(([name, run]) => `    # ${name}\n    - ${run}`).join("\n");
  return `# CI for ${ir.name} (generated once by \`yamac ci generate\`; yours to edit).
# yamac runs through npx: list it in the project's devDependencies.
image: ${NODE_IMAGE}

stages: [verify, test, build]

variables:
  POSTGRES_HOST_AUTH_METHOD: trust
  ${databaseEnv(ir)}: postgres://postgres@postgres:5432/postgres${redis ? `\n  ${redis}: redis://redis:6379` : ""}

cache:
  key:
    files: [package-lock.json]
  paths: [.npm/]

default:
  before_script:
    - npm ci --cache .npm --prefer-offline

verify:
  stage: verify
  script:
${script(STEPS.slice(0, 3))}

test:
  stage: test
  services:
    - name: ${POSTGRES_IMAGE}
      alias: postgres${redis ? `\n    - name: ${REDIS_IMAGE}\n      alias: redis` : ""}
  script:
${script(STEPS.slice(3, 5))}

build:
  stage: build
  script:
${script(STEPS.slice(5))}
  artifacts:
    paths: [dist/]
`;
}

function circleci(ir: ProjectIR): string {
  const redis = redisEnv(ir);
  const steps = STEPS.map(([name, command]) => `      - run:\n          name: ${name}\n          command: ${command}`).join("\n");
  return `# CI for ${ir.name} (generated once by \`yamac ci generate\`; yours to edit).
# yamac runs through npx: list it in the project's devDependencies.
version: 2.1

jobs:
  build:
    docker:
      - image: ${NODE_IMAGE}
      - image: ${POSTGRES_IMAGE}
        environment:
          POSTGRES_HOST_AUTH_METHOD: trust
${redis ? `      - image: ${REDIS_IMAGE}\n` : ""}    environment:
      ${databaseEnv(ir)}: postgres://postgres@localhost:5432/postgres${redis ? `\n      ${redis}: redis://localhost:6379` : ""}
    steps:
      - checkout
      - restore_cache:
          keys:
            - npm-{{ checksum "package-lock.json" }}
      - run:
          name: Install
          command: npm ci
      - save_cache:
          key: npm-{{ checksum "package-lock.json" }}
          paths:
            - ~/.npm
      - run:
          name: Wait for PostgreSQL
          command: timeout 60 bash -c 'until (echo > /dev/tcp/localhost/5432) 2>/dev/null; do sleep 1; done'
${steps}
      - store_artifacts:
          path: dist

workflows:
  ci:
    jobs: [build]
`;
}

/** Where each provider reads its pipeline, and the pipeline for this project. */
export function ciTemplate(provider: CiProvider, ir: ProjectIR): { path: string; content: string } {
  switch (provider) {
    case "github":
      return { path: ".github/workflows/ci.yml", content: github(ir) };
    case "gitlab":
      return { path: ".gitlab-ci.yml", content: gitlab(ir) };
    case "circleci":
      return { path: ".circleci/config.yml", content: circleci(ir) };
  }
}
