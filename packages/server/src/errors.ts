import { type ErrorBody, type ErrorCode, statusOf } from "@tether/api";

/**
 * The server's one error class. `code` comes from the shared table, which also fixes the status.
 * `details` reaches the client, so it must never carry a token, code, state or secret.
 */
export class TetherError extends Error {
	override readonly name = "TetherError";
	readonly code: ErrorCode;
	readonly details: Record<string, unknown> | undefined;
	/** Extra response headers (e.g. `Retry-After` on `PROVIDER_UNAVAILABLE`). */
	readonly headers: Record<string, string> | undefined;

	constructor(
		code: ErrorCode,
		message: string,
		options: {
			details?: Record<string, unknown>;
			headers?: Record<string, string>;
			cause?: unknown;
		} = {},
	) {
		super(message, { cause: options.cause });
		this.code = code;
		this.details = options.details;
		this.headers = options.headers;
	}

	get status(): number {
		return statusOf(this.code);
	}

	toBody(): ErrorBody {
		return this.details === undefined
			? { code: this.code, message: this.message }
			: { code: this.code, message: this.message, details: this.details };
	}
}
