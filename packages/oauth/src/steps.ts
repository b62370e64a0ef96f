import {
	buildDiscoveryRequest,
	type DiscoveryResult,
	processDiscoveryResponse,
} from "./discovery.ts";
import { type SendOptions, sendRequest } from "./http.ts";
import {
	buildRevocationRequest,
	processRevocationResponse,
	type RevocationRequestInput,
	type RevocationResult,
} from "./revocation.ts";
import {
	type AuthorizationCodeRequestInput,
	buildAuthorizationCodeRequest,
	buildRefreshRequest,
	type RefreshRequestInput,
} from "./token-request.ts";
import {
	type ProcessOptions,
	processTokenResponse,
	type TokenResult,
} from "./token-response.ts";
import {
	buildUserinfoRequest,
	processUserinfoResponse,
	type UserinfoRequestInput,
	type UserinfoResult,
} from "./userinfo.ts";

/** The outside world for one step: network (fetch, timeout, cancel) and clock. */
export interface StepOptions extends SendOptions, ProcessOptions {}

// Each helper below is build → send → process; use the parts directly to test without a network.

/** Fetches and checks OIDC discovery metadata for `issuer`. */
export async function discover(
	issuer: string,
	options: StepOptions = {},
): Promise<DiscoveryResult> {
	const outcome = await sendRequest(buildDiscoveryRequest(issuer), options);
	return processDiscoveryResponse(outcome, {
		expectedIssuer: issuer,
		now: options.now,
	});
}

/** Exchanges an authorization code for tokens. */
export async function exchangeAuthorizationCode(
	input: AuthorizationCodeRequestInput,
	options: StepOptions = {},
): Promise<TokenResult> {
	const outcome = await sendRequest(
		buildAuthorizationCodeRequest(input),
		options,
	);
	return processTokenResponse(outcome, options);
}

/** Uses a refresh token for new tokens. */
export async function refreshTokens(
	input: RefreshRequestInput,
	options: StepOptions = {},
): Promise<TokenResult> {
	const outcome = await sendRequest(buildRefreshRequest(input), options);
	return processTokenResponse(outcome, options);
}

/** Revokes a token at the provider (RFC 7009). */
export async function revokeToken(
	input: RevocationRequestInput,
	options: StepOptions = {},
): Promise<RevocationResult> {
	const outcome = await sendRequest(buildRevocationRequest(input), options);
	return processRevocationResponse(outcome, options);
}

/** Reads the userinfo endpoint with an access token. */
export async function fetchUserinfo(
	input: UserinfoRequestInput,
	options: StepOptions = {},
): Promise<UserinfoResult> {
	const outcome = await sendRequest(buildUserinfoRequest(input), options);
	return processUserinfoResponse(outcome, options);
}
