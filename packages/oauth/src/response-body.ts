import type { HttpResponse } from "./http.ts";

export type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

// "access_token=…&scope=repo&token_type=bearer": a form body starts with a key and '='.
const FORM_LIKE = /^[A-Za-z0-9_.~%-]+=/;

/**
 * Reads a provider's body as an object, from JSON or, when the provider answers form-encoded
 * (GitHub does when the request lacks `Accept: application/json`), from the form. Returns
 * undefined for HTML error pages, empty bodies and anything else it cannot trust.
 */
export function parseResponseBody(
	response: HttpResponse,
): JsonObject | undefined {
	const contentType = response.headers.get("content-type")?.toLowerCase() ?? "";
	const body = response.body.trim();
	if (body === "") return undefined;

	if (contentType.includes("json") || body.startsWith("{")) {
		try {
			const parsed: unknown = JSON.parse(body);
			return isJsonObject(parsed) ? parsed : undefined;
		} catch {
			return undefined;
		}
	}

	if (
		contentType.includes("application/x-www-form-urlencoded") ||
		(!contentType.includes("html") && FORM_LIKE.test(body))
	) {
		const fields = new Map<string, string>();
		for (const [key, value] of new URLSearchParams(body)) {
			// RFC 6749 §3.1: parameters must not repeat; keep the first rather than guess.
			if (!fields.has(key)) fields.set(key, value);
		}
		// fromEntries defines own properties, so a "__proto__" key stays inert data.
		return Object.fromEntries(fields);
	}
	return undefined;
}

/** A non-empty string field, or undefined. */
export function stringField(body: JsonObject, key: string): string | undefined {
	const value = body[key];
	return typeof value === "string" && value !== "" ? value : undefined;
}
