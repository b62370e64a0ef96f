import type { Sessions } from "../auth/sessions.ts";
import type { SigningKeys } from "../auth/signing-keys.ts";
import type { VaultDeps } from "../vault/deps.ts";
import type { HotTokens } from "../vault/hot-tokens.ts";
import type { RefreshEngine } from "../vault/refresh-engine.ts";

/** What route handlers call into: the vault, sessions and keys. */
export interface RouteDeps extends VaultDeps {
	sessions: Sessions;
	signingKeys: SigningKeys;
	refresh: RefreshEngine;
	/** Recently served access tokens, decrypted (absent: every request reads the database). */
	hotTokens?: HotTokens;
}
