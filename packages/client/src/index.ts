export type {
	ConnectedAccount,
	ConnectedAccountStatus,
	User,
} from "@tether/api";
export {
	type AccessTokenCache,
	type AccessTokenData,
	type AccessTokenResult,
	createAccessTokenCache,
} from "./access-token-cache.ts";
export {
	type AuthSnapshot,
	createTetherClient,
	type RedirectCallbackResult,
	type SignInOptions,
	type TetherClient,
	type TetherClientOptions,
} from "./client.ts";
export {
	type AccountContext,
	type ConnectedAccountHandle,
	createConnectedAccountHandle,
} from "./connected-account.ts";
export {
	errorFromResponse,
	OAuthAccessTokenNotAvailable,
	ProviderUnavailableError,
	TetherClientError,
} from "./errors.ts";
export {
	type ApiRequest,
	type FetchLike,
	type JsonResponse,
	normalizeBaseUrl,
	sendJson,
	type Transport,
} from "./http.ts";
export type { OpenPopup, PopupLike, Redirect } from "./link-driver.ts";
export type { LockManagerLike } from "./lock.ts";
export type {
	ProviderTokensApi,
	ProviderTokensResponse,
} from "./provider-tokens.ts";
export type { Result } from "./result.ts";
export {
	localStorageAdapter,
	memoryStorage,
	type StorageAdapter,
} from "./storage.ts";
export {
	completeLink,
	createLinkIntent,
	createUserHandle,
	type GetOrLinkOptions,
	type LinkDriver,
	type LinkLanding,
	type LinkRequest,
	type TetherUser,
	type UserContext,
	type UserData,
} from "./user.ts";
