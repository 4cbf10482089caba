/**
 * The one error shape every endpoint answers with:
 *   {"error": {"code", "message", "details"?, "requestId"}}
 * Throw one of these classes from a handler to choose the status and code.
 */

export interface ErrorDetail {
  /** Dotted path of the offending input, e.g. "price" or "items.0.sku". */
  field: string;
  message: string;
  /** Which rule failed, e.g. "required", "too_big", "invalid_type". */
  rule: string;
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: ErrorDetail[];
    requestId: string;
    /** RATE_LIMIT_EXCEEDED: seconds until the window resets (the Retry-After header's value). */
    retryAfter?: number;
  };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;

  constructor(status: number, code: string, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * 400. The code says what was wrong: VALIDATION_BODY, VALIDATION_QUERY or VALIDATION_PARAMS when
 * one part of the request is; VALIDATION_FAILED (the default) when a handler refuses the request
 * as a whole, so a GET without a body never answers that its body was wrong.
 */
export class ValidationError extends ApiError {
  constructor(message: string, details?: ErrorDetail[], code = "VALIDATION_FAILED") {
    super(400, code, message, details);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = "Authentication required", code = "AUTH_REQUIRED") {
    super(401, code, message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = "Not allowed", code = "AUTHZ_FORBIDDEN") {
    super(403, code, message);
  }
}

export class NotFoundError extends ApiError {
  constructor(message = "Not found", code = "NOT_FOUND") {
    super(404, code, message);
  }
}

export class ConflictError extends ApiError {
  constructor(message = "Conflict", details?: ErrorDetail[], code = "CONFLICT") {
    super(409, code, message, details);
  }
}

export class UnprocessableError extends ApiError {
  constructor(message: string, details?: ErrorDetail[], code = "UNPROCESSABLE_ENTITY") {
    super(422, code, message, details);
  }
}

/** 429 RATE_LIMIT_EXCEEDED; the body's `retryAfter` and the Retry-After header say how many seconds to wait. */
export class RateLimitError extends ApiError {
  readonly retryAfter: number;

  constructor(retryAfter: number, message = `Too many requests; retry after ${retryAfter} s`) {
    super(429, "RATE_LIMIT_EXCEEDED", message);
    this.retryAfter = retryAfter;
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message = "Service temporarily unavailable", code = "SERVICE_UNAVAILABLE") {
    super(503, code, message);
  }
}

/** PostgreSQL SQLSTATE codes that are caused by the request, not by the server. */
interface PgErrorLike {
  code: string;
  message: string;
  detail?: string;
  constraint?: string;
  constraint_name?: string;
  column?: string;
  column_name?: string;
  table?: string;
  table_name?: string;
}

/**
 * The API field each table column holds, keyed `table.column` (`books.author_id` → `authorId`):
 * database errors then name the field the request sent, not a constraint. Built once at start-up
 * from the Drizzle tables (`columnFields` in column-fields.ts).
 */
export type ColumnFields = ReadonlyMap<string, string>;

/** The columns of a unique or foreign key violation: `Key (product_id, email)=(…) …` names them. */
function keyColumns(detail: string | undefined): string[] {
  const m = detail === undefined ? null : /^Key \(([^()]*)\)=/.exec(detail);
  return m ? m[1]!.split(", ").map((c) => c.replace(/^"|"$/g, "")) : [];
}

/** The fields of `columns` of the error's table, or undefined when one of them is not a plain field. */
function fieldsOf(pg: PgErrorLike, columns: readonly string[], fields: ColumnFields | undefined): string[] | undefined {
  const table = pg.table ?? pg.table_name;
  if (fields === undefined || table === undefined || columns.length === 0) return undefined;
  const out = columns.map((c) => fields.get(`${table}.${c}`));
  return out.every((f): f is string => f !== undefined) ? out : undefined;
}

/**
 * A SQLSTATE: a class of a digit and a digit or letter (or F0, HV, P0, XX), then three more.
 * Node's own five-letter codes (EPIPE, EPERM, EBUSY) are not SQLSTATEs.
 */
const SQLSTATE = /^(?:[0-9][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/;

function findPgError(err: unknown): PgErrorLike | undefined {
  // Drizzle wraps driver errors in DrizzleQueryError; the driver's error is its `cause`.
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && SQLSTATE.test(code)) return current as unknown as PgErrorLike;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT", "DB_UNREACHABLE"]);

function isConnectionError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Translates a database error caused by the request into an ApiError.
 * Returns undefined for errors that are the server's fault.
 */
/**
 * 422 VALIDATION_REFERENCE: a foreign key names a row that does not exist (or is soft-deleted).
 * `field` is the body's field when the app checked it, else the database constraint's name.
 */
export function referenceMissing(field?: string): UnprocessableError {
  return new UnprocessableError("A referenced row does not exist", field ? [{ field, message: "referenced row not found", rule: "foreign_key" }] : undefined, "VALIDATION_REFERENCE");
}

/** A value the database refused: the request's body carried it. */
const invalidValue = (message: string, details?: ErrorDetail[]) => new ValidationError(message, details, "VALIDATION_BODY");

/**
 * `fields` maps columns to the API's field names; without it (or for a column that is not a
 * field) the details name the constraint or column as the database does.
 */
export function fromDatabaseError(err: unknown, fields?: ColumnFields): ApiError | undefined {
  const pg = findPgError(err);
  if (!pg) return isConnectionError(err) ? new ServiceUnavailableError("Database unavailable", "DB_UNAVAILABLE") : undefined;
  const constraint = pg.constraint ?? pg.constraint_name;
  switch (pg.code) {
    case "23505": {
      const message = pg.detail ?? "duplicate value";
      const named = fieldsOf(pg, keyColumns(pg.detail), fields) ?? (constraint ? [constraint] : []);
      return new ConflictError("A row with the same unique value already exists", named.length ? named.map((field) => ({ field, message, rule: "unique" })) : undefined);
    }
    case "23503": {
      // On insert/update the referenced row is missing; on delete the row is still referenced.
      if (/still referenced/.test(pg.detail ?? pg.message)) return new ConflictError("The row is still referenced by other rows", undefined, "CONFLICT_REFERENCED");
      const named = fieldsOf(pg, keyColumns(pg.detail), fields);
      return named ? new UnprocessableError("A referenced row does not exist", named.map((field) => ({ field, message: "referenced row not found", rule: "foreign_key" })), "VALIDATION_REFERENCE") : referenceMissing(constraint);
    }
    case "23502": {
      const column = pg.column ?? pg.column_name ?? "";
      return invalidValue("A required value is missing", [{ field: fieldsOf(pg, [column], fields)?.[0] ?? column, message: "must not be null", rule: "required" }]);
    }
    case "23514": {
      // yamac names a field's check `<table>_<column>_check`.
      const table = pg.table ?? pg.table_name;
      const column = table && constraint?.startsWith(`${table}_`) && constraint.endsWith("_check") ? constraint.slice(table.length + 1, -"_check".length) : undefined;
      const field = (column && fieldsOf(pg, [column], fields)?.[0]) || constraint;
      return invalidValue("A value violates a check constraint", field ? [{ field, message: "check failed", rule: "check" }] : undefined);
    }
    case "22001":
      return invalidValue("A value is too long for its column");
    case "22003":
      return invalidValue("A number is out of range for its column");
    case "22P02":
    case "22007":
    case "22008":
      return invalidValue("A value has an invalid format");
    case "22021":
    case "22P05":
      // e.g. a NUL character (\u0000), which PostgreSQL text cannot hold.
      return invalidValue("A value contains a character the database cannot store");
    case "57P01":
    case "57P02":
    case "57P03":
    case "53300":
    // The database itself is gone or refuses the app (dropped, renamed, credentials revoked):
    // the request is fine and may succeed once it is back.
    case "3D000":
    case "28000":
    case "28P01":
      return new ServiceUnavailableError("Database unavailable", "DB_UNAVAILABLE");
    default:
      // Class 22 is "data exception": a value the request supplied (an interval that overflows,
      // a negative OFFSET from a handler, …) that the database refused.
      if (pg.code.startsWith("22")) return invalidValue("A value is out of range or malformed");
      // Class 08 is "connection exception".
      return pg.code.startsWith("08") ? new ServiceUnavailableError("Database unavailable", "DB_UNAVAILABLE") : undefined;
  }
}
