/** The admin secret lives for this tab only: closing it forgets the secret. */
const secretKey = "tether.adminSecret";

export function storedSecret(): string | null {
	try {
		return sessionStorage.getItem(secretKey);
	} catch {
		return null;
	}
}

export function storeSecret(secret: string | null): void {
	try {
		if (secret === null) sessionStorage.removeItem(secretKey);
		else sessionStorage.setItem(secretKey, secret);
	} catch {
		// Storage off (private mode): the secret lasts until the page reloads.
	}
}

/** A failed admin call, with Tether's error `code` and `details` when it sent them. */
export class AdminApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly details: Record<string, unknown> = {},
	) {
		super(message);
	}
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null;
}

/**
 * Calls `/v1/admin/*` on this origin with the stored secret as a Bearer token. Without a secret
 * (development, this machine) no header is sent; Tether decides whether that is enough.
 */
export async function adminFetch<T>(
	path: string,
	init: { method?: "GET" | "POST" | "DELETE"; secret?: string | null } = {},
): Promise<T> {
	const secret = init.secret === undefined ? storedSecret() : init.secret;
	const headers: Record<string, string> = { accept: "application/json" };
	if (secret !== null && secret !== "")
		headers.authorization = `Bearer ${secret}`;
	const response = await fetch(path, {
		method: init.method ?? "GET",
		headers,
		credentials: "omit",
	});
	const text = await response.text();
	let body: unknown = null;
	if (text !== "") {
		try {
			body = JSON.parse(text);
		} catch {
			body = null;
		}
	}
	if (!response.ok) {
		const code =
			isRecord(body) && typeof body.code === "string" ? body.code : "ERROR";
		const message =
			isRecord(body) && typeof body.message === "string"
				? body.message
				: `HTTP ${response.status}`;
		const details =
			isRecord(body) && isRecord(body.details) ? body.details : {};
		throw new AdminApiError(response.status, code, message, details);
	}
	// The admin API's own answers (types in @tether/api); nothing else is read from here.
	return body as T;
}

export function errorText(error: unknown): string {
	if (error instanceof AdminApiError) return `${error.code}: ${error.message}`;
	return error instanceof Error ? error.message : String(error);
}
