/** Endpoints of the fault provider whose answers a test can script. */
export type FaultEndpoint = "token" | "revocation" | "userinfo";

/** One scripted answer. `delayMs` holds any answer back first (for slow-provider and herd tests). */
export type FaultBehaviour = { delayMs?: number } & (
	| {
			/**
			 * A normal answer. At the token endpoint: new random tokens. `refreshToken`: `rotate`
			 * (a new one, the default), `keep` (echo the presented one), `none` (leave it out).
			 * `expiresIn`: seconds, or null to leave it out (default 3600). `format`: `json`
			 * (default) or `form`, as GitHub answers without an Accept header. `scope`: default
			 * the requested one, if any. At userinfo, `claims` is the body.
			 */
			kind: "success";
			refreshToken?: "rotate" | "keep" | "none";
			expiresIn?: number | null;
			format?: "json" | "form";
			scope?: string;
			claims?: Record<string, unknown>;
	  }
	/** 503 with `Retry-After` (default "30"; null leaves it out). */
	| { kind: "unavailable"; retryAfter?: string | number | null }
	/** 429 with `Retry-After` (default "60"; null leaves it out). */
	| { kind: "rate_limited"; retryAfter?: string | number | null }
	/** Never answers; the socket stays open until the client gives up or `close()`. */
	| { kind: "hang" }
	/** Reads the request, then resets the TCP connection. */
	| { kind: "reset" }
	/** A proxy's HTML error page with status 502. */
	| { kind: "html_error" }
	/** GitHub's way of refusing a refresh: status 200, `{"error":"bad_refresh_token"}`. */
	| { kind: "bad_refresh_token" }
	/** 400 `invalid_grant`: the refresh token is revoked or expired. */
	| { kind: "invalid_grant" }
	/** 401 `invalid_client` with a Basic challenge. */
	| { kind: "invalid_client" }
);

export const defaultBehaviours: Readonly<
	Record<FaultEndpoint, FaultBehaviour>
> = {
	token: { kind: "success" },
	revocation: { kind: "success" },
	userinfo: { kind: "success" },
};
