import type { FetchFn } from "@tether/oauth";
import type { TetherConfig } from "../config/index.ts";
import type { KeyRing } from "../crypto/index.ts";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/index.ts";
import type { AuditSink } from "./audit.ts";
import type { ProviderRegistry } from "./providers.ts";

/** The outside world the vault works with, injected by `createServer` (tests swap any of it). */
export interface VaultDeps {
	config: TetherConfig;
	store: Store;
	ring: KeyRing;
	providers: ProviderRegistry;
	logger: Logger;
	fetch: FetchFn;
	now: () => number;
	/** The audit log (and metrics); optional so a vault can run without one (tools, tests). */
	audit?: AuditSink;
}
