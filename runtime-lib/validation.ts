import { z } from "zod";

/**
 * Small zod building blocks for values that arrive as strings (query and path parameters)
 * or as JSON strings (timestamps). Generated schemas compose them once, at module load.
 */

/** "true" / "false" / "1" / "0" as a boolean; anything else is a 400. */
export const queryBoolean = () =>
  z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).transform((v) => v === "true" || v === "1");

/** A base-10 integer in a query or path parameter. */
export const queryInt = () =>
  z
    .string()
    .regex(/^-?\d{1,16}$/, { error: "must be an integer" })
    .transform(Number)
    .refine(Number.isSafeInteger, { error: "must be an integer from -(2^53 - 1) to 2^53 - 1" });

/** A decimal number in a query or path parameter. */
export const queryNumber = () =>
  z
    .string()
    .regex(/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, { error: "must be a number" })
    .transform(Number)
    .refine(Number.isFinite, { error: "must be a number within the range of a double (1e400 is not)" });

/** An ISO-8601 date-time (with or without offset) decoded to a Date. */
export const isoDateTime = () =>
  z.iso.datetime({ offset: true, local: true, error: "must be an ISO 8601 date-time" }).transform((v) => new Date(v));

/**
 * An ISO-8601 date-time in a query string, kept as text: it is bound to a prepared
 * statement as a parameter and PostgreSQL parses it.
 */
export const queryDateTime = () => z.iso.datetime({ offset: true, local: true, error: "must be an ISO 8601 date-time" });

/**
 * A phone number, E.164-like: an optional leading +, then 7 to 15 digits, which spaces, dashes
 * and parentheses may separate (`+44 20 7946 0958`, `(555) 123-4567`).
 */
export const phoneNumber = () =>
  z.string().regex(/^\+?(?:[ ()-]*\d){7,15}[ ()-]*$/, { error: "must be a phone number: 7 to 15 digits, optionally with a leading + and spaces, dashes or parentheses" });
