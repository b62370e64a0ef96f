/** PostgreSQL SQLSTATEs that say the server is away, not that the statement was wrong. */
const unavailableStates = new Set([
	"57P01", // admin_shutdown: the server is stopping or restarting
	"57P02", // crash_shutdown
	"57P03", // cannot_connect_now: the server is starting up
	"53300", // too_many_connections
]);

/** Socket errors on the way to the database. */
const unavailableErrnos = new Set([
	"ECONNREFUSED",
	"ECONNRESET",
	"EPIPE",
	"ETIMEDOUT",
	"EHOSTUNREACH",
]);

/** What `pg` says when a connection dies or cannot be made in time. */
const unavailableMessages = [
	"Connection terminated",
	"Client has encountered a connection error and is not queryable",
	"timeout exceeded when trying to connect",
	"Client was closed and is not queryable",
];

/**
 * True when a store call failed because the database could not be reached (a restart, a dropped
 * connection), as opposed to a bad statement or a broken rule: the same call may well succeed a
 * moment later. Callers answer 503 `SERVICE_UNAVAILABLE` for it, and the refresh engine keeps
 * retrying the write that stores a rotated refresh token, which exists nowhere else.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
	// Only the error itself: `pg` throws these as they are, while a `fetch` to a provider that is
	// down wraps its ECONNREFUSED in `cause` (and is the refresh engine's business, not this).
	if (typeof error !== "object" || error === null) return false;
	const code = "code" in error ? error.code : undefined;
	if (typeof code === "string") {
		if (unavailableStates.has(code) || code.startsWith("08")) return true;
		if (unavailableErrnos.has(code)) return true;
	}
	const message = "message" in error ? error.message : undefined;
	return (
		typeof message === "string" &&
		unavailableMessages.some((m) => message.includes(m))
	);
}
