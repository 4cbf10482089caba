import { randomUUID } from "node:crypto";
import type { EventEmitter } from "node:events";
import { ServerResponse } from "node:http";
import { Server as NetServer } from "node:net";
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

/**
 * Stops the server without cutting off requests: it stops listening at once (new connections are
 * refused) and answers each request that still arrives on an open connection with
 * `Connection: close`, so keep-alive clients (load balancers, HTTP agents) finish and move off.
 * Connections still idle after `graceMs` are closed. Resolves once every connection has ended.
 *
 * Node's own http `server.close()` closes idle keep-alive connections immediately, and under load
 * "idle" includes connections whose next request is already on the wire but not yet read: those
 * clients would see a reset. So the listener is closed with net.Server's close, and idle
 * connections only after the grace period, once such requests have been read and answered.
 */
export function closeGracefully(server: NetServer & { closeIdleConnections?(): void }, graceMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    server.prependListener("request", (_req: unknown, res: unknown) => {
      if (res instanceof ServerResponse && !res.headersSent) res.setHeader("Connection", "close");
    });
    NetServer.prototype.close.call(server, () => resolve());
    setTimeout(() => server.closeIdleConnections?.(), graceMs).unref();
  });
}
