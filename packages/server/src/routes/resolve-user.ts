import type { Principal } from "../http/principal.ts";
import { resolveUserParam } from "../http/principal.ts";
import { resolveUserId } from "../vault/users.ts";
import type { RouteDeps } from "./deps.ts";

/** The `:user` segment as a Tether user id: a session's own, or any the secret key names. */
export async function userFromPath(
	deps: RouteDeps,
	principal: Principal | null,
	user: string,
	options: { create?: boolean } = {},
): Promise<string> {
	const named = resolveUserParam(principal, user);
	return principal?.kind === "secret"
		? resolveUserId(deps, named, options)
		: named;
}
