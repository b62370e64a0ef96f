import type { TetherConfig } from "./config/index.ts";
import {
	createKeyRing,
	describeMissingKeys,
	findMissingKeys,
	type KeyRing,
} from "./crypto/index.ts";
import { createStore } from "./store/index.ts";

export interface DoctorCheck {
	name: string;
	ok: boolean;
	detail: string;
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
 * Checks an operator can run before starting: key ring, database reachability and schema, and
 * every provider's discovery document. Never prints secrets: only ids, counts and reasons.
 */
export async function runDoctor(input: {
	config: TetherConfig;
	fetch?: typeof fetch;
}): Promise<DoctorCheck[]> {
	const { config } = input;
	const doFetch = input.fetch ?? fetch;
	const checks: DoctorCheck[] = [
		{
			name: "config",
			ok: true,
			detail: `mode ${config.mode}, base URL ${config.baseUrl}`,
		},
	];

	let ring: KeyRing | undefined;
	try {
		ring = createKeyRing(config.encryptionKeys);
		checks.push({
			name: "key ring",
			ok: true,
			detail: `${config.encryptionKeys.length} key(s), primary "${ring.primaryKeyId}"`,
		});
	} catch (error) {
		checks.push({ name: "key ring", ok: false, detail: messageOf(error) });
	}

	try {
		const store = await createStore(config.database);
		try {
			// Start-up migrates too; doing it here means the checks below see the real schema.
			await store.migrate();
			await store.ping();
			let detail = `${store.kind} reachable`;
			if (ring !== undefined) {
				const stale = await store.countEncryptedNotUnderKey(
					"connected_accounts",
					ring.primaryKeyId,
				);
				detail +=
					stale === 0
						? ", all tokens under the primary key"
						: `, ${stale} account(s) await \`tether keys rotate\``;
			}
			checks.push({ name: "database", ok: true, detail });
			if (ring !== undefined) {
				const missing = await findMissingKeys({ store, ring });
				checks.push(
					missing.size === 0
						? {
								name: "stored keys",
								ok: true,
								detail: "every stored value opens with a configured key",
							}
						: {
								name: "stored keys",
								ok: false,
								detail: `values under keys missing from encryptionKeys: ${describeMissingKeys(missing)}; add them back (after the primary) and run \`tether keys rotate\``,
							},
				);
			}
		} finally {
			await store.close();
		}
	} catch (error) {
		checks.push({ name: "database", ok: false, detail: messageOf(error) });
	}

	for (const provider of config.providers) {
		// The embedded development provider is served by `tether start` itself; nothing to reach yet.
		if (
			config.developmentProvider &&
			provider.issuer?.startsWith(`${config.baseUrl}/dev-oidc`)
		) {
			checks.push({
				name: `provider ${provider.id}`,
				ok: true,
				detail: "embedded development provider",
			});
			continue;
		}
		if (provider.issuer === undefined) {
			checks.push({
				name: `provider ${provider.id}`,
				ok: true,
				detail: `${provider.type}, explicit endpoints`,
			});
			continue;
		}
		const url = `${provider.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
		try {
			const response = await doFetch(url, {
				signal: AbortSignal.timeout(config.providerTimeoutSeconds * 1000),
			});
			const body: unknown = response.ok ? await response.json() : undefined;
			const issuer =
				typeof body === "object" && body !== null && "issuer" in body
					? body.issuer
					: undefined;
			const ok = issuer === provider.issuer;
			checks.push({
				name: `provider ${provider.id}`,
				ok,
				detail: ok
					? "discovery document found"
					: `discovery at ${url} answered ${response.status} without a matching issuer`,
			});
		} catch (error) {
			checks.push({
				name: `provider ${provider.id}`,
				ok: false,
				detail: `discovery at ${url} failed: ${messageOf(error)}`,
			});
		}
	}
	return checks;
}
