import { createPrivateKey, type KeyObject, sign } from "node:crypto";
import type { CatalogEntry, ClientCredentials } from "@tether/oauth";
import { ConfigError, type ProviderConfig } from "../config/index.ts";

/**
 * A client secret signed by Tether lives this long. Apple accepts up to six months; an hour keeps
 * a leaked one short-lived, and signing one costs well under a millisecond.
 */
const signedSecretLifetimeSeconds = 3600;
/** Sign a new one when the current one has less than this left. */
const renewBeforeSeconds = 600;

function base64urlJson(value: unknown): string {
	return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** An ES256 JWT as Apple wants its client secret: iss team, sub client, aud Apple, kid the key. */
function signClientSecret(input: {
	key: KeyObject;
	keyId: string;
	teamId: string;
	clientId: string;
	audience: string;
	nowSeconds: number;
}): string {
	const header = base64urlJson({ alg: "ES256", kid: input.keyId });
	const claims = base64urlJson({
		iss: input.teamId,
		sub: input.clientId,
		aud: input.audience,
		iat: input.nowSeconds,
		exp: input.nowSeconds + signedSecretLifetimeSeconds,
	});
	// JOSE wants the raw r||s signature, not DER.
	const signature = sign("sha256", Buffer.from(`${header}.${claims}`), {
		key: input.key,
		dsaEncoding: "ieee-p1363",
	}).toString("base64url");
	return `${header}.${claims}.${signature}`;
}

/**
 * The credentials Tether presents at a provider's token and revocation endpoints: the configured
 * secret, or for entries like Apple's a JWT signed from `clientSecretJwt` and renewed before it
 * expires. A bad key fails at start-up, naming the field.
 */
export function createClientCredentials(input: {
	config: ProviderConfig;
	index: number;
	entry: CatalogEntry;
	audience: string | undefined;
	now: () => number;
}): () => ClientCredentials {
	const { config, entry } = input;
	const base = { clientId: config.clientId, authMethod: entry.clientAuth };
	const jwt = config.clientSecretJwt;
	if (
		jwt === undefined &&
		entry.clientSecretJwt &&
		config.clientSecret === undefined
	)
		throw new ConfigError([
			`providers[${input.index}].clientSecretJwt: ${entry.displayName} signs client secrets with your key; give teamId, keyId and privateKey (or a pre-signed clientSecret)`,
		]);
	if (jwt === undefined) {
		const fixed: ClientCredentials =
			config.clientSecret === undefined
				? base
				: { ...base, clientSecret: config.clientSecret };
		return () => fixed;
	}
	const field = `providers[${input.index}].clientSecretJwt`;
	if (jwt.privateKey === undefined)
		throw new ConfigError([
			`${field}.privateKey: missing (or set TETHER_PROVIDER_<ID>_PRIVATE_KEY)`,
		]);
	if (input.audience === undefined)
		throw new ConfigError([`${field}: the provider needs an issuer`]);
	let key: KeyObject;
	try {
		key = createPrivateKey(jwt.privateKey);
	} catch {
		throw new ConfigError([`${field}.privateKey: not a PEM private key`]);
	}
	if (
		key.asymmetricKeyType !== "ec" ||
		key.asymmetricKeyDetails?.namedCurve !== "prime256v1"
	)
		throw new ConfigError([`${field}.privateKey: must be a P-256 (ES256) key`]);
	const { teamId, keyId } = jwt;
	const audience = input.audience;
	let current: { secret: string; expiresAt: number } | undefined;
	return () => {
		const nowSeconds = Math.floor(input.now() / 1000);
		if (
			current === undefined ||
			current.expiresAt - nowSeconds < renewBeforeSeconds
		) {
			current = {
				secret: signClientSecret({
					key,
					keyId,
					teamId,
					clientId: config.clientId,
					audience,
					nowSeconds,
				}),
				expiresAt: nowSeconds + signedSecretLifetimeSeconds,
			};
		}
		return { ...base, clientSecret: current.secret };
	};
}
