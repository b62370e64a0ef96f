export {
	type AccessTokenUnavailableReason,
	type ErrorBody,
	type ErrorCode,
	errorCodes,
	isErrorCode,
	statusOf,
} from "./errors.ts";
export type {
	AccessTokenResponse,
	ConnectedAccount,
	ConnectedAccountStatus,
	HealthResponse,
	ProviderSession,
	Session,
	User,
} from "./types.ts";
