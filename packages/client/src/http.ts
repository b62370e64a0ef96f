import { errorFromResponse, TetherClientError } from "./errors.ts";

/** Any fetch: the platform's, a test's, or an instrumented one. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A parsed JSON answer (`body` is `null` for an empty one, e.g. 204). */
export interface JsonResponse {
	status: number;
	headers: Headers;
	body: unknown;
}

/** One API call, as a transport sends it: relative path, optional JSON body. */
export interface ApiRequest {
	method: "GET" | "POST" | "DELETE";
	path: string;
	body?: unknown;
}

/**
 * Sends API requests with the caller's credentials. The browser client's attaches the session
 * (refreshing it when due); the server SDK's attaches the secret key.
 */
export interface Transport {
	send(request: ApiRequest): Promise<JsonResponse>;
}

/** The platform fetch, bound so browsers do not throw "Illegal invocation". */
export function defaultFetch(): FetchLike {
	return (input, init) => globalThis.fetch(input, init);
}

/** Strips trailing slashes so `${baseUrl}/v1/…` is always one slash. */
export function normalizeBaseUrl(baseUrl: string): string {
	return baseUrl.replace(/\/+$/, "");
}

/**
 * One JSON request to Tether. Non-2xx answers become `TetherClientError` (or its subclasses);
 * a network failure becomes `SERVICE_UNAVAILABLE` with status 0.
 */
export async function sendJson(
	input: ApiRequest & {
		baseUrl: string;
		fetch: FetchLike;
		/** A session JWT or a secret key, sent as `Authorization: Bearer …`. */
		token?: string;
	},
): Promise<JsonResponse> {
	const headers = new Headers({ accept: "application/json" });
	if (input.token !== undefined)
		headers.set("authorization", `Bearer ${input.token}`);
	if (input.body !== undefined) headers.set("content-type", "application/json");
	let response: Response;
	let text: string;
	try {
		response = await input.fetch(`${input.baseUrl}${input.path}`, {
			method: input.method,
			headers,
			...(input.body === undefined ? {} : { body: JSON.stringify(input.body) }),
		});
		text = await response.text();
	} catch (cause) {
		throw new TetherClientError(
			"SERVICE_UNAVAILABLE",
			"Could not reach Tether.",
			{ status: 0, cause, details: { reason: "network_error" } },
		);
	}
	let body: unknown = null;
	if (text !== "") {
		try {
			body = JSON.parse(text);
		} catch {
			// A proxy's HTML page: the status alone decides the error below.
			body = text;
		}
	}
	if (!response.ok)
		throw errorFromResponse(response.status, response.headers, body);
	return { status: response.status, headers: response.headers, body };
}
