import { randomUUID } from "node:crypto";
import type { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";

const REASONS: Record<number, string> = { 400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large", 431: "Request Header Fields Too Large" };

/**
 * Requests that Node's HTTP parser rejects (a malformed request line, headers too large) never
 * reach the app; this answers them with the same error envelope as every other error.
 */
export function answerClientErrors(server: EventEmitter): void {
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const code = status === 431 ? "HEADERS_TOO_LARGE" : status === 408 ? "TIMEOUT" : "BAD_REQUEST";
    const message = status === 431 ? "The request line or headers are too large" : status === 408 ? "The request took too long to arrive" : "Malformed HTTP request";
    const body = JSON.stringify({ error: { code, message, requestId: randomUUID() } });
    socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
