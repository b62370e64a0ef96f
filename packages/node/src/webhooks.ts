import { createHmac, timingSafeEqual } from "node:crypto";
import { TetherClientError } from "@tether/client";

/** A Tether account event (`connected_account.linked`, `.unlinked`, `.reauth_required`). */
export interface WebhookEvent {
	/** `webhook-id`: the same on every retry of one event; dedupe on it. */
	id: string;
	type: string;
	/** When the event happened (ISO 8601). */
	timestamp: string;
	data: Record<string, unknown>;
}

/** Headers as `Request.headers`, or Node's `req.headers` (any case). */
export type WebhookHeaders =
	| Headers
	| Record<string, string | readonly string[] | undefined>;

/** Standard Webhooks' default tolerance for clock skew and replays. */
const defaultToleranceSeconds = 5 * 60;

const refuse = (reason: string, message: string) =>
	new TetherClientError("UNAUTHENTICATED", message, { details: { reason } });

function header(headers: WebhookHeaders, name: string): string | undefined {
	if (headers instanceof Headers) return headers.get(name) ?? undefined;
	for (const [key, value] of Object.entries(headers)) {
		if (key.toLowerCase() !== name) continue;
		return typeof value === "string" ? value : value?.[0];
	}
	return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Verifies a webhook as Standard Webhooks does (and as the `standardwebhooks` package does):
 * HMAC-SHA256 with the base64 key after `whsec_` over `${webhook-id}.${webhook-timestamp}.${body}`,
 * any `v1,<base64>` entry of the space-separated `webhook-signature` matching, the timestamp within
 * five minutes either way. `payload` must be the raw body, byte for byte, not re-serialized JSON.
 * Returns the event; throws `TetherClientError` `UNAUTHENTICATED` (`details.reason` says why) for
 * a bad signature or timestamp, `INVALID_REQUEST` for a signed body that is not a Tether event.
 * Stricter than the package in one way: a timestamp must be all digits (it accepts "123abc").
 */
export function verifyWebhook(
	payload: string | Uint8Array,
	headers: WebhookHeaders,
	secret: string,
	options: { now?: number; toleranceSeconds?: number } = {},
): WebhookEvent {
	const key = Buffer.from(
		secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret,
		"base64",
	);
	if (key.length === 0)
		throw new TetherClientError(
			"INVALID_REQUEST",
			'The webhook secret must be "whsec_" followed by a base64 key.',
			{ details: { field: "secret" } },
		);
	const id = header(headers, "webhook-id");
	const timestamp = header(headers, "webhook-timestamp");
	const signatures = header(headers, "webhook-signature");
	if (!id || !timestamp || !signatures)
		throw refuse(
			"missing_headers",
			"Missing webhook-id, -timestamp or -signature.",
		);
	if (!/^\d{1,15}$/.test(timestamp))
		throw refuse("invalid_timestamp", "webhook-timestamp is not a number.");
	const sentAt = Number(timestamp);
	const now = Math.floor((options.now ?? Date.now()) / 1000);
	const tolerance = options.toleranceSeconds ?? defaultToleranceSeconds;
	if (now - sentAt > tolerance)
		throw refuse("timestamp_too_old", "The webhook is too old.");
	if (sentAt > now + tolerance)
		throw refuse("timestamp_too_new", "The webhook is from the future.");

	const body =
		typeof payload === "string"
			? payload
			: Buffer.from(payload).toString("utf8");
	const expected = Buffer.from(
		createHmac("sha256", key)
			.update(`${id}.${sentAt}.${body}`)
			.digest("base64"),
	);
	const matched = signatures.split(" ").some((entry) => {
		const [version, signature] = entry.split(",");
		if (version !== "v1" || signature === undefined) return false;
		const given = Buffer.from(signature);
		return given.length === expected.length && timingSafeEqual(given, expected);
	});
	if (!matched)
		throw refuse("no_matching_signature", "No webhook signature matches.");

	let event: unknown;
	try {
		event = JSON.parse(body);
	} catch {
		event = undefined;
	}
	if (
		!isRecord(event) ||
		typeof event.type !== "string" ||
		typeof event.timestamp !== "string" ||
		!isRecord(event.data)
	)
		throw new TetherClientError(
			"INVALID_REQUEST",
			"The signed webhook body is not a Tether event.",
			{ details: { reason: "invalid_payload" } },
		);
	return { id, type: event.type, timestamp: event.timestamp, data: event.data };
}
