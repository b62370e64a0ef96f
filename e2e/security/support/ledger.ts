/**
 * Every secret a security run produced, gathered where it was seen: the test's own HTTP traffic
 * (a tap on `globalThis.fetch`, which the harness browser, `api` and the upstream's headless login
 * all use) and the upstream's token endpoint (a tap in the token proxy). The sweep then looks for
 * each one where it must never be: log lines, error answers, metrics and the database.
 */

/** What a secret is, for a readable leak report. */
export type SecretKind =
	| "state"
	| "nonce"
	| "upstream code"
	| "tether code"
	| "pkce verifier"
	| "app pkce verifier"
	| "link intent"
	| "link code"
	| "session access token"
	| "session refresh token"
	| "provider access token"
	| "provider refresh token"
	| "id token"
	| "client secret"
	| "secret key"
	| "admin secret"
	| "encryption key";

/** Query parameters that carry secrets, by name. */
const queryKinds: Record<string, SecretKind> = {
	state: "state",
	nonce: "nonce",
	intent: "link intent",
	link_code: "link code",
	code_verifier: "pkce verifier",
};

/** JSON fields that carry secrets; the session's own are told apart from the provider's by context. */
const jsonKinds: Record<string, SecretKind> = {
	access_token: "provider access token",
	refresh_token: "provider refresh token",
	id_token: "id token",
	codeVerifier: "app pkce verifier",
	code: "tether code",
};

export interface Ledger {
	/** Secret value → what it is. */
	readonly secrets: ReadonlyMap<string, SecretKind>;
	/** Every error answer Tether gave (status ≥ 400 bodies, and `?error=` redirects). */
	readonly errorAnswers: readonly string[];
	/** Every successful answer body Tether gave, with the URL asked. */
	readonly answers: readonly { url: string; text: string }[];
	add(kind: SecretKind, value: string | null | undefined): void;
	/** A value the test sends where a secret would go but that is public (a PKCE challenge, say). */
	markPublic(value: string): void;
	/** Records what a Tether answer or request body (JSON) holds. */
	addJson(json: unknown, context: "session" | "provider"): void;
	/** Records the secrets in a URL's query (`state`, `code`, `intent`, …). */
	addUrl(url: string | URL, origin: { tether: string }): void;
	/** Records one upstream token-endpoint round trip (form request, JSON answer). */
	addTokenExchange(exchange: {
		requestBody: string;
		authorization: string | undefined;
		answer: string;
	}): void;
	addErrorAnswer(text: string): void;
	addAnswer(url: string, text: string): void;
}

/** Shorter values could match by chance; every real secret here is far longer. */
const minLength = 16;

export function createLedger(): Ledger {
	const secrets = new Map<string, SecretKind>();
	const errorAnswers: string[] = [];
	const answers: { url: string; text: string }[] = [];
	const publicValues = new Set<string>();
	const add = (kind: SecretKind, value: string | null | undefined) => {
		if (
			typeof value === "string" &&
			value.length >= minLength &&
			!publicValues.has(value) &&
			// The first sighting names it best: a link code later travels as a JSON `code`.
			!secrets.has(value)
		)
			secrets.set(value, kind);
	};
	const ledger: Ledger = {
		secrets,
		errorAnswers,
		answers,
		add,
		markPublic(value) {
			publicValues.add(value);
			secrets.delete(value);
		},
		addJson(json, context) {
			const walk = (value: unknown, depth: number) => {
				if (depth > 6 || typeof value !== "object" || value === null) return;
				for (const [key, inner] of Object.entries(value)) {
					if (typeof inner !== "string") {
						walk(inner, depth + 1);
						continue;
					}
					if (key === "accessToken")
						add(
							context === "session"
								? "session access token"
								: "provider access token",
							inner,
						);
					else if (key === "refreshToken")
						add(
							context === "session"
								? "session refresh token"
								: "provider refresh token",
							inner,
						);
					else if (key === "url") {
						try {
							add("link intent", new URL(inner).searchParams.get("intent"));
						} catch {
							// Not a URL.
						}
					} else {
						const kind = jsonKinds[key];
						if (kind !== undefined) add(kind, inner);
					}
				}
			};
			walk(json, 0);
		},
		addUrl(url, origin) {
			let parsed: URL;
			try {
				parsed = new URL(url);
			} catch {
				return;
			}
			for (const [name, value] of parsed.searchParams) {
				if (name === "code")
					add(
						parsed.origin === origin.tether &&
							parsed.pathname.includes("/callback")
							? "upstream code"
							: "tether code",
						value,
					);
				else {
					const kind = queryKinds[name];
					if (kind !== undefined) add(kind, value);
				}
			}
		},
		addTokenExchange(exchange) {
			const form = new URLSearchParams(exchange.requestBody);
			add("upstream code", form.get("code"));
			add("pkce verifier", form.get("code_verifier"));
			add("provider refresh token", form.get("refresh_token"));
			add("client secret", form.get("client_secret"));
			const basic = /^Basic (.+)$/i.exec(exchange.authorization ?? "")?.[1];
			if (basic !== undefined) {
				const decoded = Buffer.from(basic, "base64").toString("utf8");
				add(
					"client secret",
					decodeURIComponent(decoded.slice(decoded.indexOf(":") + 1)),
				);
			}
			try {
				ledger.addJson(JSON.parse(exchange.answer), "provider");
			} catch {
				// An error page, not JSON: nothing issued.
			}
		},
		addErrorAnswer(text) {
			errorAnswers.push(text);
		},
		addAnswer(url, text) {
			answers.push({ url, text });
		},
	};
	return ledger;
}

function urlOf(input: string | URL | Request): string {
	return typeof input === "string"
		? input
		: input instanceof URL
			? input.href
			: input.url;
}

/**
 * Wraps `globalThis.fetch` so every request the test makes, and every answer, feeds the ledger.
 * Returns the function that puts the original back.
 */
export function tapFetch(ledger: Ledger, tether: string): () => void {
	const original = globalThis.fetch;
	const origin = { tether };
	const tapped: typeof fetch = async (input, init) => {
		const url = urlOf(input);
		ledger.addUrl(url, origin);
		const fromTether = url.startsWith(tether);
		if (fromTether && typeof init?.body === "string") {
			try {
				ledger.addJson(JSON.parse(init.body), "session");
			} catch {
				// Not JSON.
			}
		}
		const response = await original(input, init);
		const location = response.headers.get("location");
		if (location !== null) {
			const target = new URL(location, url);
			ledger.addUrl(target, origin);
			if (fromTether && target.searchParams.has("error"))
				ledger.addErrorAnswer(target.href);
		}
		if (fromTether) {
			const text = await response
				.clone()
				.text()
				.catch(() => "");
			// An error answer's `code` is an error code, not a secret.
			if (response.status >= 400) ledger.addErrorAnswer(text);
			else ledger.addAnswer(url, text);
			if (response.status < 400)
				try {
					// Session answers name the session's tokens; the guide's endpoints, the provider's.
					ledger.addJson(
						JSON.parse(text),
						/\/(callback\/tokens|token\/provider\/|access-token)/.test(url)
							? "provider"
							: "session",
					);
				} catch {
					// Not JSON (metrics, redirects).
				}
		}
		return response;
	};
	globalThis.fetch = tapped;
	return () => {
		globalThis.fetch = original;
	};
}

export interface Haystacks {
	logs: string;
	errorAnswers: string;
	metrics: string;
	database: string;
}

/** Nonces are not credentials and are kept with the flow until its callback; only logs and answers must not show them. */
const databaseExempt = new Set<SecretKind>(["nonce"]);

/**
 * Every (secret kind, place) where a secret was found; empty is the only passing answer. Secrets
 * are named by kind and a short prefix, so a failure report does not itself spread them.
 */
export function findLeaks(
	ledger: Ledger,
	haystacks: Haystacks,
	extra: { rawDatabaseBytes?: { kind: SecretKind; bytes: Buffer }[] } = {},
): string[] {
	const leaks: string[] = [];
	for (const [secret, kind] of ledger.secrets) {
		const spellings = [secret, encodeURIComponent(secret)];
		for (const [place, text] of Object.entries(haystacks)) {
			if (place === "database" && databaseExempt.has(kind)) continue;
			if (spellings.some((spelling) => text.includes(spelling)))
				leaks.push(`${kind} ${secret.slice(0, 6)}… in ${place}`);
		}
	}
	for (const { kind, bytes } of extra.rawDatabaseBytes ?? []) {
		// SQLite file bytes hold raw bytes; pg_dump writes bytea as hex.
		if (
			Buffer.from(haystacks.database, "latin1").includes(bytes) ||
			haystacks.database.includes(bytes.toString("hex"))
		)
			leaks.push(`${kind} (raw bytes) in database`);
	}
	return leaks;
}
