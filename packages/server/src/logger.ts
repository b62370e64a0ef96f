import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

/**
 * Field names whose values are secrets wherever they appear. Redaction is a safety net: the code
 * never logs request bodies, query strings or provider responses in the first place.
 */
const secretFields = [
	"authorization",
	"cookie",
	"set-cookie",
	"accessToken",
	"access_token",
	"refreshToken",
	"refresh_token",
	"idToken",
	"id_token",
	"code",
	"state",
	"nonce",
	"codeVerifier",
	"code_verifier",
	"clientSecret",
	"privateKey",
	"client_secret",
	"secretKey",
	"encryptionKeys",
	"secretKeys",
	"password",
	"token",
];

const redactPaths = secretFields.flatMap((field) => [
	field,
	`*.${field}`,
	`*.*.${field}`,
]);

export interface LoggerOptions {
	level?: string;
	/** Where lines go; default stdout. Tests pass a memory stream to sweep logs for secrets. */
	destination?: DestinationStream;
}

/** Structured JSON logs with secrets redacted. */
export function createLogger({
	level = "info",
	destination,
}: LoggerOptions = {}): Logger {
	return pino(
		{
			level,
			base: { service: "tether" },
			redact: { paths: redactPaths, censor: "[redacted]" },
			timestamp: pino.stdTimeFunctions.isoTime,
		},
		destination,
	);
}
