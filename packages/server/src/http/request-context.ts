import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../logger.ts";
import type { AppEnv } from "./env.ts";

/** Accept a caller's request id only when it is short and plain, so it is safe to log and echo. */
const safeRequestId = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Request id (incoming `X-Request-Id` if well-formed, else a new one), echoed in the response, and
 * one access-log line per request. The line has the path only: query strings carry codes and states.
 */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const requestId = requestIdFrom(c.req.header("x-request-id"));
		c.set("requestId", requestId);
		c.header("X-Request-Id", requestId);
		const started = performance.now();
		await next();
		logRequest(logger, {
			requestId,
			method: c.req.method,
			path: c.req.path,
			status: c.res.status,
			started,
		});
	};
}

/** The caller's `X-Request-Id` when it is safe to log and echo, else a new one. */
export function requestIdFrom(incoming: string | undefined): string {
	return incoming !== undefined && safeRequestId.test(incoming)
		? incoming
		: randomUUID();
}

/**
 * The access-log line's fields are fixed (below) and none is named like a secret, so the logger's
 * key-based redaction cannot change it, yet pino's redact costs about 40 µs a line: the line goes
 * through a child of the logger without redaction (same stream, level and bindings; same output).
 */
const accessLoggers = new WeakMap<Logger, Logger>();

function accessLoggerOf(logger: Logger): Logger {
	let access = accessLoggers.get(logger);
	if (access === undefined) {
		access = logger.child({}, { redact: { paths: [] } });
		accessLoggers.set(logger, access);
	}
	return access;
}

/** The access-log line (shared by the Hono app and the node fast path). */
export function logRequest(
	logger: Logger,
	input: {
		requestId: string;
		method: string;
		path: string;
		status: number;
		/** `performance.now()` when the request arrived. */
		started: number;
	},
): void {
	accessLoggerOf(logger).info(
		{
			requestId: input.requestId,
			method: input.method,
			path: input.path,
			status: input.status,
			ms: Math.round((performance.now() - input.started) * 100) / 100,
		},
		"request",
	);
}
