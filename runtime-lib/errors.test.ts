import { describe, expect, it } from "vitest";
import { fromDatabaseError } from "./errors.js";

/** A driver error as Drizzle wraps it: DrizzleQueryError with the driver's error as `cause`. */
function wrapped(cause: Error): Error {
  return Object.assign(new Error("Failed query: select 1"), { cause });
}

describe("fromDatabaseError", () => {
  it("answers a lost connection with 503, including Node's five-letter codes that look like SQLSTATEs", () => {
    for (const code of ["EPIPE", "ECONNRESET", "ECONNREFUSED", "CONNECTION_CLOSED", "CONNECT_TIMEOUT", "DB_UNREACHABLE"]) {
      const mapped = fromDatabaseError(wrapped(Object.assign(new Error("This socket has been ended by the other party"), { code })));
      expect({ code, status: mapped?.status, error: mapped?.code }).toEqual({ code, status: 503, error: "DB_UNAVAILABLE" });
    }
  });

  it("answers server shutdown and start-up states, a dropped database, refused logins and connection exceptions with 503", () => {
    for (const code of ["57P01", "57P02", "57P03", "53300", "3D000", "28000", "28P01", "08006", "08001"]) expect(fromDatabaseError(wrapped(Object.assign(new Error("shutting down"), { code })))?.status).toBe(503);
  });

  it("still reads SQLSTATEs of every class shape", () => {
    expect(fromDatabaseError(wrapped(Object.assign(new Error("dup"), { code: "23505" })))?.status).toBe(409);
    expect(fromDatabaseError(wrapped(Object.assign(new Error("bad"), { code: "22P02" })))?.status).toBe(400);
    expect(fromDatabaseError(wrapped(Object.assign(new Error("interval out of range"), { code: "22015" })))?.status).toBe(400);
    expect(fromDatabaseError(wrapped(Object.assign(new Error("internal"), { code: "XX000" })))).toBeUndefined();
    expect(fromDatabaseError(new Error("no code"))).toBeUndefined();
  });
});
