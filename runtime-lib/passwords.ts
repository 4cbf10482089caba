/**
 * Password hashes: argon2id for new hashes (OWASP's parameters: 19 MiB, 2 passes, 1 lane),
 * and verification of argon2id and bcrypt (`$2a$`/`$2b$`/`$2y$`) hashes, so user tables
 * written by other systems keep working. hash-wasm runs in WebAssembly: no native module,
 * so the same code runs on Node, Lambda and Workers.
 */
import { randomBytes } from "node:crypto";
import { argon2id, argon2Verify, bcryptVerify } from "hash-wasm";

const ARGON2 = { parallelism: 1, iterations: 2, memorySize: 19456, hashLength: 32 } as const;

/** The encoded argon2id hash of a password (`$argon2id$v=19$m=19456,t=2,p=1$…`), with a fresh salt. */
export function hashPassword(password: string): Promise<string> {
  return argon2id({ ...ARGON2, password, salt: randomBytes(16), outputType: "encoded" });
}

/** Whether `password` matches an argon2id or bcrypt hash; false for anything else (empty, null, unknown format). */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (typeof hash !== "string" || hash === "") return false;
  try {
    if (hash.startsWith("$argon2")) return await argon2Verify({ password, hash });
    if (/^\$2[aby]\$\d\d\$/.test(hash)) return await bcryptVerify({ password, hash });
  } catch {
    // A malformed hash never matches.
  }
  return false;
}

/** A hash no password matches, verified when no user has the given identifier so that a miss takes as long as a hit. */
let decoy: Promise<string> | undefined;

/** Spends the time of one verification, for unknown identifiers. */
export async function verifyNothing(password: string): Promise<false> {
  decoy ??= hashPassword(randomBytes(16).toString("hex"));
  await verifyPassword(password, await decoy);
  return false;
}
