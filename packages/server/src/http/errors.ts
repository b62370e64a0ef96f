import type { IncomingMessage } from "node:http";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { TetherError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { isDatabaseUnavailable } from "../store/index.ts";
import type { AppEnv } from "./env.ts";

function fromHttpException(error: HTTPException): TetherError {
	switch (error.status) {
		case 413:
			return new TetherError(
				"PAYLOAD_TOO_LARGE",
				"The request body is too large.",
			);
		case 401:
			return new TetherError(
				"UNAUTHENTICATED",
				"Missing or invalid credentials.",
			);
		default:
			// Hono's validators throw 400 for malformed JSON or form bodies.
			return new TetherError(
				"INVALID_REQUEST",
				"The request body could not be parsed.",
			);
	}
}

/**
 * True when the client hung up before its request body was complete: reading the body then fails
 * (`aborted`), and nobody is left to answer. Not a server fault, so not logged as one.
 */
function clientWentAway(c: Context<AppEnv>): boolean {
	const incoming = (c.env as { incoming?: IncomingMessage } | undefined)
		?.incoming;
	return incoming !== undefined && !incoming.complete && incoming.destroyed;
}

/**
 * The one error renderer: every failure leaves as `{ code, message, details? }` with the status
 * the shared code table gives. Unknown throwables are logged (without request data) and become a
 * generic 500 that says nothing about internals.
 */
export function renderError(logger: Logger): ErrorHandler<AppEnv> {
	return (error, c) => {
		const tetherError = toTetherError(error, {
			logger,
			requestId: c.get("requestId"),
			clientWentAway: () => clientWentAway(c),
		});
		for (const [name, value] of Object.entries(tetherError.headers ?? {}))
			c.header(name, value);
		c.header("Cache-Control", "no-store");
		return c.json(tetherError.toBody(), tetherError.status as 400);
	};
}

/**
 * What `renderError` answers for a throwable, without Hono (the node fast path uses it too): the
 * response is the error's body and status, its headers, and `Cache-Control: no-store`.
 */
export function toTetherError(
	error: Error,
	context: { logger: Logger; requestId: string; clientWentAway: () => boolean },
): TetherError {
	const { logger, requestId } = context;
	if (error instanceof TetherError) return error;
	if (error instanceof HTTPException) return fromHttpException(error);
	if (context.clientWentAway())
		return new TetherError(
			"INVALID_REQUEST",
			"The request ended before its body did.",
		);
	if (isDatabaseUnavailable(error)) {
		// A database restart or a dropped connection: honest and retryable, not a server bug.
		logger.warn(
			{ requestId, err: { message: error.message } },
			"database unreachable",
		);
		return new TetherError(
			"SERVICE_UNAVAILABLE",
			"The database is unreachable; try again shortly.",
			{ headers: { "Retry-After": "1" } },
		);
	}
	logger.error(
		{
			requestId,
			err: { name: error.name, message: error.message, stack: error.stack },
		},
		"unhandled error",
	);
	return new TetherError(
		"INTERNAL_ERROR",
		"Something went wrong on our side.",
		{
			details: { requestId },
		},
	);
}

export const renderNotFound: NotFoundHandler<AppEnv> = (c) => {
	const error = new TetherError("NOT_FOUND", "No such route.");
	return c.json(error.toBody(), 404);
};
