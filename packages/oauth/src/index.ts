export {
	type AuthorizationUrlInput,
	buildAuthorizationUrl,
} from "./authorization-url.ts";
export {
	type AuthorizationResponseInput,
	type AuthorizationResponseProblem,
	type AuthorizationResponseResult,
	validateAuthorizationResponse,
} from "./callback.ts";
export type { ClientAuthMethod, ClientCredentials } from "./client-auth.ts";
export {
	buildDiscoveryRequest,
	type DiscoveryResult,
	processDiscoveryResponse,
	type ServerMetadata,
} from "./discovery.ts";
export type { ProviderEndpoints } from "./endpoints.ts";
export { OAuthError, type OAuthErrorCode, oauthErrorCodes } from "./errors.ts";
export {
	classifyOAuthError,
	defaultErrorKinds,
	type ErrorKinds,
	type FailureKind,
	type OAuthFailure,
} from "./failure.ts";
export {
	DEFAULT_TIMEOUT_MS,
	type FetchFn,
	type HttpOutcome,
	type HttpResponse,
	parseRetryAfter,
	type SendOptions,
	sendRequest,
} from "./http.ts";
export {
	createRemoteJwks,
	type IdTokenProblem,
	type IdTokenResult,
	type IdTokenValidationInput,
	type RemoteJwksOptions,
	validateIdToken,
} from "./id-token.ts";
export { computeCodeChallenge, generateCodeVerifier } from "./pkce.ts";
export {
	buildProfileRequest,
	type CatalogEntry,
	type CatalogType,
	catalog,
	catalogTypes,
	getCatalogEntry,
	isCatalogType,
	missingScopes,
	normalizeScopes,
	type ProfileRequestInput,
	type ProviderProfile,
	readJsonAnswer,
	readStandardClaims,
	type ScopeInput,
	withTokenQuirks,
} from "./providers/index.ts";
export {
	base64url,
	generateNonce,
	generateState,
	type RandomSource,
} from "./random.ts";
export {
	buildRevocationRequest,
	processRevocationResponse,
	type RevocationRequestInput,
	type RevocationResult,
} from "./revocation.ts";
export {
	discover,
	exchangeAuthorizationCode,
	fetchUserinfo,
	refreshTokens,
	revokeToken,
	type StepOptions,
} from "./steps.ts";
export {
	type AuthorizationCodeRequestInput,
	buildAuthorizationCodeRequest,
	buildRefreshRequest,
	type RefreshRequestInput,
} from "./token-request.ts";
export {
	type ProcessOptions,
	processTokenResponse,
	type TokenResult,
	type TokenSet,
} from "./token-response.ts";
export {
	buildUserinfoRequest,
	processUserinfoResponse,
	type UserinfoRequestInput,
	type UserinfoResult,
} from "./userinfo.ts";
