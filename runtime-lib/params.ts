import { ValidationError } from "./errors.js";

/**
 * Path parameters, checked with precompiled regular expressions: a malformed id is a 400
 * before any query runs (PostgreSQL would otherwise reject it as a 500).
 */

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const INT = /^-?\d{1,15}$/;

function invalid(name: string, message: string): ValidationError {
  return new ValidationError("Invalid path parameter", [{ field: name, message, rule: "invalid_format" }], "VALIDATION_PARAMS");
}

export function uuidParam(value: string, name = "id"): string {
  if (!UUID.test(value)) throw invalid(name, "must be a UUID");
  return value;
}

export function intParam(value: string, name = "id"): number {
  if (!INT.test(value)) throw invalid(name, "must be an integer");
  const n = Number(value);
  if (n > 2147483647 || n < -2147483648) throw invalid(name, "is out of range");
  return n;
}

export function bigintParam(value: string, name = "id"): number {
  if (!INT.test(value)) throw invalid(name, "must be an integer");
  return Number(value);
}

export function stringParam(value: string, name = "id", maxLength = 255): string {
  if (value.length === 0 || value.length > maxLength) throw invalid(name, `must be 1 to ${maxLength} characters`);
  return value;
}
