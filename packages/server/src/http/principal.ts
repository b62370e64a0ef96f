import type { MiddlewareHandler } from "hono";
import { secretKeyPrefix } from "../auth/secret-keys.ts";
import type { SessionPrincipal, Sessions } from "../auth/sessions.ts";
import { TetherError } from "../errors.ts";
import type { AppEnv } from "./env.ts";

/** Who is calling: a signed-in user (session JWT), or the app's backend (secret key). */
export type Principal =
	| ({ kind: "session" } & SessionPrincipal)
	| { kind: "secret" };

declare module "hono" {
	interface ContextVariableMap {
		principal: Principal | null;
	}
}

const unauthenticated = () =>
	new TetherError("UNAUTHENTICATED", "Missing or invalid credentials.");

/**
 * Reads `Authorization: Bearer …` (never a query string or cookie) into `c.var.principal`.
 * A secret key presented by a browser (an `Origin` header) is refused outright: it has leaked to
 * the front end and must be rotated, not used.
 */
export function readPrincipal(deps: PrincipalDeps): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		c.set(
			"principal",
			await principalOf(deps, {
				authorization: c.req.header("authorization"),
				origin: c.req.header("origin"),
				url: c.req.url,
			}),
		);
		return next();
	};
}

export interface PrincipalDeps {
	sessions: Sessions;
	matchSecretKey: (key: string) => boolean;
	now: () => number;
}

/** What `readPrincipal` does, without Hono: the caller from its headers, or a thrown 401/403/400. */
export async function principalOf(
	deps: PrincipalDeps,
	request: {
		authorization: string | undefined;
		origin: string | undefined;
		/** The request URL or target (only its query string is looked at). */
		url: string;
	},
): Promise<Principal | null> {
	const header = request.authorization;
	if (header === undefined) {
		const query = request.url.indexOf("?");
		if (query !== -1 && request.url.includes(secretKeyPrefix, query)) {
			throw new TetherError(
				"INVALID_REQUEST",
				"Secret keys go in the Authorization header, never in a URL.",
			);
		}
		return null;
	}
	const match = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(header);
	const credential = match?.[1];
	if (credential === undefined) throw unauthenticated();
	if (credential.startsWith(secretKeyPrefix)) {
		if (!deps.matchSecretKey(credential)) throw unauthenticated();
		if (request.origin !== undefined) {
			throw new TetherError(
				"FORBIDDEN",
				"Secret keys are for app backends; a browser sent this one.",
			);
		}
		return { kind: "secret" };
	}
	const session = await deps.sessions.verify(credential, deps.now());
	if (session === null) throw unauthenticated();
	return { kind: "session", ...session };
}

/** The caller must be signed in (session JWT). */
export function requireSession(principal: Principal | null): SessionPrincipal {
	if (principal === null || principal.kind !== "session")
		throw unauthenticated();
	return principal;
}

/**
 * Resolves the `:user` path segment: `me` is the session's own user; any other id needs the secret
 * key, except a session naming its own id.
 */
export function resolveUserParam(
	principal: Principal | null,
	user: string,
): string {
	if (principal === null) throw unauthenticated();
	if (principal.kind === "secret") {
		if (user === "me")
			throw new TetherError(
				"INVALID_REQUEST",
				'"me" needs a session; name a user id with the secret key.',
			);
		return user;
	}
	if (user === "me" || user === principal.userId) return principal.userId;
	throw new TetherError(
		"FORBIDDEN",
		"A session may only act for its own user.",
	);
}
