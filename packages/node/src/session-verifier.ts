import { type FetchLike, TetherClientError } from "@tether/client";
import { createRemoteJWKSet, customFetch, errors, jwtVerify } from "jose";

/** Who a valid session JWT says is calling. */
export interface VerifiedSession {
	userId: string;
	sessionId: string;
}

/** JOSE failures that mean "this token is not good", as opposed to "the key set is unreachable". */
const tokenProblems = new Set([
	errors.JWTExpired.code,
	errors.JWTClaimValidationFailed.code,
	errors.JWTInvalid.code,
	errors.JWSInvalid.code,
	errors.JWSSignatureVerificationFailed.code,
	errors.JWKSNoMatchingKey.code,
	errors.JWKSMultipleMatchingKeys.code,
	errors.JOSEAlgNotAllowed.code,
	errors.JOSENotSupported.code,
	errors.JWKInvalid.code,
]);

/**
 * Verifies Tether session JWTs locally against `<baseUrl>/.well-known/jwks.json`: ES256
 * signature, issuer, audience `tether`, expiry. The key set is cached (5 minutes, the endpoint's
 * own `max-age`) and re-fetched at once for an unknown `kid` (a rotation), at most every 30 s.
 * A bad token is `null`; an unreachable key set throws `SERVICE_UNAVAILABLE`.
 */
export function createSessionVerifier(input: {
	baseUrl: string;
	issuer: string;
	fetch: FetchLike;
}): (jwt: string) => Promise<VerifiedSession | null> {
	const jwks = createRemoteJWKSet(
		new URL(`${input.baseUrl}/.well-known/jwks.json`),
		{ [customFetch]: input.fetch, cacheMaxAge: 5 * 60_000 },
	);
	return async (jwt) => {
		if (typeof jwt !== "string" || jwt.length > 8192) return null;
		try {
			const { payload } = await jwtVerify(jwt, jwks, {
				issuer: input.issuer,
				audience: "tether",
				algorithms: ["ES256"],
			});
			const { sub, sid } = payload;
			if (typeof sub !== "string" || typeof sid !== "string") return null;
			return { userId: sub, sessionId: sid };
		} catch (error) {
			if (error instanceof errors.JOSEError && tokenProblems.has(error.code))
				return null;
			throw new TetherClientError(
				"SERVICE_UNAVAILABLE",
				"Could not load Tether's signing keys.",
				{ status: 0, cause: error, details: { reason: "jwks_unavailable" } },
			);
		}
	};
}
