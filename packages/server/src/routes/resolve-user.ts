import type { Principal } from "../http/principal.ts";
import { resolveUserParam } from "../http/principal.ts";
import { resolveUserId } from "../vault/users.ts";
import type { RouteDeps } from "./deps.ts";

/**
 * The `:user` segment as the principal names it: a session's own id, or (secret key) a Tether id
 * or the app's external id, with how to resolve it. Callers that hold a row naming its owner
 * compare first and resolve only when that fails.
 */
export function namedUser(
	deps: RouteDeps,
	principal: Principal | null,
	user: string,
	options: { create?: boolean } = {},
): { userId: string; resolveUser?: () => Promise<string> } {
	const named = resolveUserParam(principal, user);
	if (principal?.kind !== "secret") return { userId: named };
	let resolved: Promise<string> | undefined;
	return {
		userId: named,
		// At most one lookup per request, however many rows are compared.
		resolveUser: () => {
			resolved ??= resolveUserId(deps, named, options);
			return resolved;
		},
	};
}

/** The `:user` segment as a Tether user id: a session's own, or any the secret key names. */
export async function userFromPath(
	deps: RouteDeps,
	principal: Principal | null,
	user: string,
	options: { create?: boolean } = {},
): Promise<string> {
	const named = namedUser(deps, principal, user, options);
	return named.resolveUser === undefined ? named.userId : named.resolveUser();
}
