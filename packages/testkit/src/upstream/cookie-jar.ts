interface StoredCookie {
	name: string;
	value: string;
	path: string;
}

export interface CookieJar {
	/** Records the `Set-Cookie` headers of a response. */
	store(response: Response): void;
	/** The `Cookie` header for a request to `url`, or undefined when nothing applies. */
	headerFor(url: URL): string | undefined;
}

function parseSetCookie(
	line: string,
): (StoredCookie & { expired: boolean }) | undefined {
	const [pair = "", ...attributes] = line.split(";");
	const separator = pair.indexOf("=");
	if (separator <= 0) return undefined;
	const cookie = {
		name: pair.slice(0, separator).trim(),
		value: pair.slice(separator + 1).trim(),
		path: "/",
		expired: false,
	};
	for (const attribute of attributes) {
		const [key = "", raw = ""] = attribute.split("=", 2);
		const name = key.trim().toLowerCase();
		if (name === "path" && raw.trim() !== "") cookie.path = raw.trim();
		if (name === "max-age" && Number(raw) <= 0) cookie.expired = true;
		if (name === "expires" && Date.parse(raw) <= Date.now())
			cookie.expired = true;
	}
	return cookie;
}

function pathMatches(cookiePath: string, requestPath: string): boolean {
	if (requestPath === cookiePath) return true;
	const prefix = cookiePath.endsWith("/") ? cookiePath : `${cookiePath}/`;
	return requestPath.startsWith(prefix);
}

/**
 * Just enough of a browser cookie store to carry oidc-provider's interaction and session
 * cookies between redirect hops on one origin: name, value and path; expiry only as deletion.
 */
export function createCookieJar(): CookieJar {
	const cookies = new Map<string, StoredCookie>();
	return {
		store(response) {
			for (const line of response.headers.getSetCookie()) {
				const cookie = parseSetCookie(line);
				if (cookie === undefined) continue;
				const key = `${cookie.name}\n${cookie.path}`;
				if (cookie.expired) cookies.delete(key);
				else
					cookies.set(key, {
						name: cookie.name,
						value: cookie.value,
						path: cookie.path,
					});
			}
		},
		headerFor(url) {
			const pairs = [...cookies.values()]
				.filter((cookie) => pathMatches(cookie.path, url.pathname))
				.map((cookie) => `${cookie.name}=${cookie.value}`);
			return pairs.length > 0 ? pairs.join("; ") : undefined;
		},
	};
}
