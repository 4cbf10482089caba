/**
 * `yamac deploy --target <t> [--dry-run]`: the commands that put a compiled app on its platform.
 * yamac builds (and, for serverless targets, applies migrations) itself, then calls the
 * platform's own CLI (sam, wrangler, vercel, netlify, docker, pm2, systemctl): the plan below
 * is exactly what runs, and `--dry-run` prints it without running anything.
 */
import { spawnSync } from "node:child_process";
import { delimiter, join } from "node:path";
import { existsSync } from "node:fs";
import type { ProjectIR, TargetName } from "./ir.js";
import { packageName } from "../targets/settings.js";

/** One step: a yamac command run in-process, or a platform CLI run as a child process. */
export type DeployStep =
  | { kind: "yamac"; args: string[]; note?: string }
  | { kind: "cli"; program: string; args: string[]; note?: string };

export interface DeployPlan {
  target: TargetName | "node";
  /** The platform CLI the plan calls, with how to get it. */
  cli: { program: string; install: string }[];
  steps: DeployStep[];
}

/** `$NAME` in an argument is read from the environment when the step runs (and printed as is). */
const fromEnv = (value: string) => value.replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, name: string) => process.env[name] ?? "");

/** `deployment.lambda.environment` entries that are `${VAR}` without a default: template parameters given from the environment. */
function lambdaParameters(ir: ProjectIR): string[] {
  const overrides = new Set<string>();
  for (const { value } of ir.deployment.lambda.environment) {
    if (typeof value !== "string" && value.default === undefined && value.parameter !== "DatabaseUrl") overrides.add(`${value.parameter}=$${value.env}`);
  }
  return [...overrides];
}

export function deployPlan(ir: ProjectIR, target: TargetName | "node"): DeployPlan | { error: string } {
  const name = packageName(ir);
  const migrate: DeployStep = { kind: "yamac", args: ["migrate", "up"], note: "DATABASE_URL from the environment" };
  switch (target) {
    case "node": {
      const { pm2, systemd } = ir.deployment.node;
      if (!pm2 && !systemd) return { error: "the node target has no platform CLI to call: ask for a process manager with --pm2 or --systemd (or deployment.node), or deploy the docker target" };
      const steps: DeployStep[] = [{ kind: "yamac", args: ["build", "--target", "node"] }];
      const cli: DeployPlan["cli"] = [];
      if (pm2) {
        steps.push({ kind: "cli", program: "pm2", args: ["startOrReload", "ecosystem.config.cjs", "--env", "production"] });
        cli.push({ program: "pm2", install: "npm install --global pm2" });
      }
      if (systemd) {
        const unit = `${name}.service`;
        steps.push(
          { kind: "cli", program: "sudo", args: ["cp", `deploy/${unit}`, `/etc/systemd/system/${unit}`] },
          { kind: "cli", program: "sudo", args: ["systemctl", "daemon-reload"] },
          { kind: "cli", program: "sudo", args: ["systemctl", "enable", unit] },
          { kind: "cli", program: "sudo", args: ["systemctl", "restart", unit] },
        );
        cli.push({ program: "systemctl", install: "a systemd host (run this on the server, from the installed project folder)" });
      }
      return { target, cli, steps };
    }
    case "docker": {
      const tag = `${ir.deployment.docker.image}:${ir.version}`;
      return {
        target,
        cli: [{ program: "docker", install: "Docker Engine or Docker Desktop, logged in to the registry (docker login)" }],
        steps: [
          { kind: "cli", program: "docker", args: ["build", "--tag", tag, "."] },
          { kind: "cli", program: "docker", args: ["push", tag] },
        ],
      };
    }
    case "lambda":
      return {
        target,
        cli: [{ program: "sam", install: "the AWS SAM CLI, with AWS credentials configured" }],
        steps: [
          { kind: "yamac", args: ["build", "--target", "lambda"] },
          migrate,
          { kind: "cli", program: "sam", args: ["deploy", "--template-file", "template.yaml", "--stack-name", name, "--capabilities", "CAPABILITY_IAM", "--resolve-s3", "--no-confirm-changeset", "--parameter-overrides", "DatabaseUrl=$DATABASE_URL", ...lambdaParameters(ir)] },
        ],
      };
    case "workers":
      return {
        target,
        cli: [{ program: "wrangler", install: "npm install --save-dev wrangler@4.86.0 (the last release for Node 20), then wrangler login" }],
        steps: [{ kind: "yamac", args: ["build", "--target", "workers"] }, migrate, { kind: "cli", program: "wrangler", args: ["deploy"] }],
      };
    case "vercel":
      return {
        target,
        cli: [{ program: "vercel", install: "npm install --global vercel, then vercel login and vercel link" }],
        steps: [migrate, { kind: "cli", program: "vercel", args: ["deploy", "--prod", "--yes"] }],
      };
    case "netlify":
      return {
        target,
        cli: [{ program: "netlify", install: "npm install --global netlify-cli (needs Node 22), then netlify login and netlify link" }],
        steps: [migrate, { kind: "cli", program: "netlify", args: ["deploy", "--prod"] }],
      };
  }
}

/** The command line of a step, as printed (variables left as `$NAME`). */
export function formatStep(step: DeployStep): string {
  const words = step.kind === "yamac" ? ["yamac", ...step.args] : [step.program, ...step.args];
  const line = words.map((w) => (/^[\w@%+=:,./$-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(" ");
  return step.note ? `${line}    # ${step.note}` : line;
}

/** Whether a program is on PATH. */
export function onPath(program: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, program)));
}

/**
 * Runs the plan in `dir`: yamac steps through `runYamac` (in-process), platform CLIs as children
 * with the terminal attached. Stops at the first failure; returns its exit code.
 */
export async function runPlan(plan: DeployPlan, dir: string, runYamac: (args: string[]) => Promise<number>): Promise<number> {
  for (const step of plan.steps) {
    console.log(`$ ${formatStep(step)}`);
    if (step.kind === "yamac") {
      const code = await runYamac([...step.args, dir]);
      if (code !== 0) return code;
      continue;
    }
    const result = spawnSync(step.program, step.args.map(fromEnv), { cwd: dir, stdio: "inherit" });
    if (result.error) {
      console.error(`yamac deploy: cannot run ${step.program}: ${result.error.message}`);
      return 1;
    }
    if (result.status !== 0) {
      console.error(`yamac deploy: \`${step.program}\` exited with ${result.status ?? result.signal}; the steps after it did not run`);
      return 1;
    }
  }
  return 0;
}
