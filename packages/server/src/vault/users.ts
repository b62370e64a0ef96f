import { newId } from "../auth/random.ts";
import { TetherError } from "../errors.ts";
import type { VaultDeps } from "./deps.ts";

const idPattern = /^[A-Za-z0-9._:@|-]{1,128}$/;

/**
 * Maps a user id named by the app backend (secret key) to a Tether user: Tether's own id, or the
 * app's id for users it authenticates itself (`externalId`). With `create`, an app's id seen for
 * the first time becomes a user (for linking accounts to users Tether has never seen sign in).
 */
export async function resolveUserId(
	deps: VaultDeps,
	id: string,
	options: { create?: boolean } = {},
): Promise<string> {
	if (!idPattern.test(id))
		throw new TetherError("INVALID_REQUEST", "Not a valid user id.", {
			details: { field: "user" },
		});
	const own = await deps.store.getUser(id);
	if (own !== null) return own.id;
	const external = await deps.store.findUserByExternalId(id);
	if (external !== null) return external.id;
	if (options.create !== true)
		throw new TetherError("USER_NOT_FOUND", "No such user.");
	const now = deps.now();
	const userId = newId("usr");
	try {
		await deps.store.insertUser({
			id: userId,
			externalId: id,
			email: null,
			displayName: null,
			createdAt: now,
			updatedAt: now,
		});
		return userId;
	} catch (error) {
		// Two first requests for the same app user at once: the other insert won; use its row.
		const winner = await deps.store.findUserByExternalId(id);
		if (winner !== null) return winner.id;
		throw error;
	}
}
