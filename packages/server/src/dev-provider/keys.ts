import { randomBytes, randomUUID } from "node:crypto";
import { readJsonFile, writeJsonFile } from "./state-files.ts";

/** What `.tether/dev-provider.json` holds: the provider's signing key and cookie keys. */
export interface DevelopmentProviderKeys {
	/** Private JWKs; oidc-provider publishes their public halves at `/jwks`. */
	jwks: { keys: Record<string, unknown>[] };
	/** Keys signing the provider's cookies, so its sessions survive a restart too. */
	cookieKeys: string[];
}

function isKeys(value: unknown): value is DevelopmentProviderKeys {
	if (typeof value !== "object" || value === null) return false;
	const { jwks, cookieKeys } = value as Record<string, unknown>;
	return (
		typeof jwks === "object" &&
		jwks !== null &&
		Array.isArray((jwks as { keys?: unknown }).keys) &&
		(jwks as { keys: unknown[] }).keys.length > 0 &&
		Array.isArray(cookieKeys) &&
		cookieKeys.length > 0 &&
		cookieKeys.every((key) => typeof key === "string")
	);
}

async function generateSigningKey(): Promise<Record<string, unknown>> {
	// RS256: the ID-token algorithm clients get when they do not ask for another.
	const pair = await crypto.subtle.generateKey(
		{
			name: "RSASSA-PKCS1-v1_5",
			modulusLength: 2048,
			publicExponent: new Uint8Array([1, 0, 1]),
			hash: "SHA-256",
		},
		true,
		["sign", "verify"],
	);
	// WebCrypto exports `key_ops: ["sign"]`, which oidc-provider would copy into the public
	// JWKS, where verifiers (jose) then refuse the key for "verify". `ext` goes too.
	const {
		key_ops: _keyOps,
		ext: _ext,
		...jwk
	} = await crypto.subtle.exportKey("jwk", pair.privateKey);
	return { ...jwk, kid: `dev-${randomUUID()}`, alg: "RS256", use: "sig" };
}

/**
 * The keys in `file`, generated on first use. Keeping them means ID tokens and cookies the
 * provider issued stay valid across restarts.
 */
export async function loadOrCreateKeys(
	file: string,
): Promise<DevelopmentProviderKeys> {
	const stored = readJsonFile(file);
	if (stored !== undefined) {
		if (isKeys(stored)) return stored;
		throw new Error(
			`${file}: not a development provider key file; delete it to start afresh`,
		);
	}
	const keys: DevelopmentProviderKeys = {
		jwks: { keys: [await generateSigningKey()] },
		cookieKeys: [randomBytes(32).toString("base64url")],
	};
	writeJsonFile(file, keys, { indent: 2 });
	return keys;
}
