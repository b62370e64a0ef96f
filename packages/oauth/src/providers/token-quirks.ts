import type { FetchFn } from "../http.ts";
import { type JsonObject, parseResponseBody } from "../response-body.ts";
import type { CatalogEntry } from "./types.ts";

/**
 * Rewrites a comma-joined `scope` with spaces, for providers that accept space-separated scopes
 * but grant them comma-joined (GitHub's `repo,gist`). Scope tokens never contain spaces
 * (RFC 6749 §3.3), so the space-joined form splits back unambiguously.
 */
export function spaceJoinedScope(body: JsonObject): JsonObject {
	const scope = body.scope;
	if (typeof scope !== "string" || !scope.includes(",")) return body;
	return {
		...body,
		scope: scope
			.split(",")
			.map((item) => item.trim())
			.filter((item) => item !== "")
			.join(" "),
	};
}

// Fetch cannot build a response with a body for these statuses.
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Wraps the fetch of a token request with the entry's token quirks: `tokenHeaders` go on the
 * request, and `adaptTokenBody` rewrites the answer before `processTokenResponse` reads it.
 * Pass the result as `fetch` to `exchangeAuthorizationCode` and `refreshTokens`, with
 * `errorKinds: entry.errorKinds`. Bodies that cannot be parsed (HTML error pages) pass through
 * unchanged so they are still classified as unreadable.
 */
export function withTokenQuirks(
	entry: Pick<CatalogEntry, "tokenHeaders" | "adaptTokenBody">,
	fetchFn: FetchFn = globalThis.fetch,
): FetchFn {
	const { tokenHeaders, adaptTokenBody } = entry;
	return async (request) => {
		let outgoing = request;
		if (tokenHeaders !== undefined) {
			const headers = new Headers(request.headers);
			for (const [name, value] of Object.entries(tokenHeaders)) {
				headers.set(name, value);
			}
			outgoing = new Request(request, { headers });
		}
		const response = await fetchFn(outgoing);
		if (
			adaptTokenBody === undefined ||
			NULL_BODY_STATUSES.has(response.status)
		) {
			return response;
		}
		// The body is read (and decoded) here, so its length and encoding headers no longer apply.
		const text = await response.text();
		const headers = new Headers(response.headers);
		headers.delete("content-length");
		headers.delete("content-encoding");
		const init = {
			status: response.status,
			statusText: response.statusText,
			headers,
		};
		const body = parseResponseBody({
			status: response.status,
			headers,
			body: text,
		});
		if (body === undefined) return new Response(text, init);
		headers.set("content-type", "application/json");
		return new Response(JSON.stringify(adaptTokenBody(body)), init);
	};
}
