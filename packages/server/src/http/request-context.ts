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
		const incoming = c.req.header("x-request-id");
		const requestId =
			incoming !== undefined && safeRequestId.test(incoming)
				? incoming
				: randomUUID();
		c.set("requestId", requestId);
		c.header("X-Request-Id", requestId);
		const started = performance.now();
		await next();
		logger.info(
			{
				requestId,
				method: c.req.method,
				path: c.req.path,
				status: c.res.status,
				ms: Math.round((performance.now() - started) * 100) / 100,
			},
			"request",
		);
	};
}
