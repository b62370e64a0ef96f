/**
 * Decides whether a `redirectTo` may receive Tether's one-time code. A URL passes only when it is an
 * absolute http(s) URL with the same origin as an allowed entry and a path that continues the
 * entry's path at a segment boundary. The raw string is screened first because browsers and URL
 * parsers disagree about backslashes, control characters and credentials, and open-redirect
 * bypasses live in those disagreements.
 */
export function isAllowedRedirect(
	candidate: string,
	allowList: readonly string[],
): boolean {
	if (candidate.length === 0 || candidate.length > 2048) return false;
	// Backslashes (`/\evil.test`), whitespace and control characters are never needed in a real redirect.
	if (/[\\\s]/.test(candidate) || hasControlCharacter(candidate)) return false;
	let url: URL;
	try {
		url = new URL(candidate);
	} catch {
		return false; // relative (`//evil.test`, `/path`) or garbage
	}
	if (url.protocol !== "https:" && url.protocol !== "http:") return false;
	if (url.username !== "" || url.password !== "") return false;
	// The parser must not have reinterpreted the authority (e.g. percent-encoded tricks): the input
	// has to spell out the same origin it parsed to.
	if (!candidate.toLowerCase().startsWith(url.origin.toLowerCase()))
		return false;
	return allowList.some((entry) => matches(url, entry));
}

function matches(url: URL, entry: string): boolean {
	let allowed: URL;
	try {
		allowed = new URL(entry);
	} catch {
		return false;
	}
	if (allowed.origin !== url.origin) return false;
	const base = allowed.pathname;
	const path = url.pathname;
	if (path === base) return true;
	if (!path.startsWith(base)) return false;
	// `/app` allows `/app/x` and `/app`, never `/application`.
	return base.endsWith("/") || path.charAt(base.length) === "/";
}

function hasControlCharacter(value: string): boolean {
	for (let i = 0; i < value.length; i++) {
		const code = value.charCodeAt(i);
		if (code < 0x20 || code === 0x7f) return true;
	}
	return false;
}
