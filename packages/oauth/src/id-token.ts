import {
	createRemoteJWKSet,
	customFetch,
	type JWTPayload,
	type JWTVerifyGetKey,
	jwtVerify,
} from "jose";
import { endpointUrl } from "./endpoints.ts";
import { DEFAULT_TIMEOUT_MS, type FetchFn } from "./http.ts";

export interface RemoteJwksOptions {
	/** Default `globalThis.fetch`. */
	fetch?: FetchFn;
	/** Default 10 000 ms. */
	timeoutMs?: number;
}

/**
 * A key resolver for a provider's JWKS (jose caches keys and refetches on an unknown `kid`).
 * Create one per provider and keep it: the cache is what makes validation cheap.
 */
export function createRemoteJwks(
	jwksUri: string,
	options: RemoteJwksOptions = {},
): JWTVerifyGetKey {
	const fetchFn = options.fetch ?? globalThis.fetch;
	return createRemoteJWKSet(endpointUrl(jwksUri, "jwksUri"), {
		timeoutDuration: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
		[customFetch]: (url, init) => fetchFn(new Request(url, init)),
	});
}

export interface IdTokenValidationInput {
	idToken: string;
	/**
	 * Expected `iss`, exactly (OIDC Core §3.1.3.7 step 2). A multi-tenant authority (Microsoft's
	 * `common`) gives a template instead: `{tenantid}` stands for the token's own `tid` claim, so
	 * each tenant's tokens must carry that tenant's issuer.
	 */
	issuer: string | { template: string };
	/** Our client id: must be in `aud`, and equal `azp` when present (steps 3-5). */
	clientId: string;
	jwks: JWTVerifyGetKey;
	/** The nonce sent in the authorization request; required in the token when given (step 11). */
	nonce?: string;
	/** Default `() => new Date()`. */
	now?: () => Date;
	/** Allowed clock skew for `exp`/`iat`/`nbf`, in seconds. Default 30. */
	clockToleranceSeconds?: number;
	/** Refuse tokens whose `auth_time`/`iat` is older than this, in seconds. */
	maxAgeSeconds?: number;
	/** Accepted signature algorithms; default: those fitting the key (never `none`). */
	algorithms?: string[];
}

export type IdTokenProblem =
	| "malformed"
	| "signature_invalid"
	| "keys_unavailable"
	| "expired"
	| "claim_invalid";

export type IdTokenResult =
	| { ok: true; claims: JWTPayload & { sub: string } }
	| {
			ok: false;
			problem: IdTokenProblem;
			/** The claim that failed, for `claim_invalid` and `expired`. */
			claim?: string;
			message: string;
	  };

function problemFor(code: string): IdTokenProblem {
	switch (code) {
		case "ERR_JWT_EXPIRED":
			return "expired";
		case "ERR_JWT_CLAIM_VALIDATION_FAILED":
			return "claim_invalid";
		case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
		case "ERR_JWKS_NO_MATCHING_KEY":
		case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
		case "ERR_JOSE_ALG_NOT_ALLOWED":
		case "ERR_JOSE_NOT_SUPPORTED":
			return "signature_invalid";
		case "ERR_JWS_INVALID":
		case "ERR_JWT_INVALID":
			return "malformed";
		default:
			// JWKS timeouts, bad JWKS documents and network errors from the key fetch.
			return "keys_unavailable";
	}
}

function readErrorField(error: unknown, field: string): string | undefined {
	if (typeof error !== "object" || error === null || !(field in error)) {
		return undefined;
	}
	const value: unknown = Reflect.get(error, field);
	return typeof value === "string" ? value : undefined;
}

/**
 * Validates an ID token from the token endpoint (OIDC Core §3.1.3.7): signature through the
 * JWKS, issuer, audience, authorized party, expiry with tolerance, and nonce. Failures come
 * back as data, with the failing claim named.
 */
export async function validateIdToken(
	input: IdTokenValidationInput,
): Promise<IdTokenResult> {
	let payload: JWTPayload;
	try {
		({ payload } = await jwtVerify(input.idToken, input.jwks, {
			...(typeof input.issuer === "string" ? { issuer: input.issuer } : {}),
			audience: input.clientId,
			currentDate: input.now?.() ?? new Date(),
			clockTolerance: input.clockToleranceSeconds ?? 30,
			maxTokenAge: input.maxAgeSeconds,
			algorithms: input.algorithms,
			requiredClaims: ["sub", "iat", "exp"],
		}));
	} catch (error) {
		const code = readErrorField(error, "code") ?? "";
		return {
			ok: false,
			problem: problemFor(code),
			claim: readErrorField(error, "claim"),
			message: error instanceof Error ? error.message : String(error),
		};
	}

	if (typeof input.issuer !== "string") {
		const { tid } = payload;
		// A tenant id is a GUID; anything else could smuggle text into the expected issuer.
		const tenantOk = typeof tid === "string" && /^[0-9a-f-]{36}$/i.test(tid);
		if (
			!tenantOk ||
			payload.iss !== input.issuer.template.replace("{tenantid}", tid)
		)
			return invalidClaim("iss", "iss is not the issuer of the token's tenant");
	}
	const { sub, azp, nonce } = payload;
	if (typeof sub !== "string" || sub === "") {
		return invalidClaim("sub", "sub must be a non-empty string");
	}
	if (azp !== undefined && azp !== input.clientId) {
		return invalidClaim("azp", "azp is not our client id");
	}
	if (input.nonce !== undefined && nonce !== input.nonce) {
		return invalidClaim(
			"nonce",
			"nonce does not match the authorization request",
		);
	}
	return { ok: true, claims: { ...payload, sub } };
}

function invalidClaim(claim: string, message: string): IdTokenResult {
	return { ok: false, problem: "claim_invalid", claim, message };
}
