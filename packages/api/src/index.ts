export type {
	AdminAccount,
	AdminAuditEvent,
	AdminAuditKind,
	AdminEvent,
	AdminForceRefreshResult,
	AdminPage,
	AdminProvider,
	AdminRefreshError,
	AdminRefreshHealth,
	AdminStats,
	AdminStatsBucket,
	AdminUserDetail,
	AdminUserSummary,
	RefreshFailureKind,
} from "./admin.ts";
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
