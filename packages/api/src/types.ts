/** Status of a connected account. A provider outage never changes it; only a real revocation does. */
export type ConnectedAccountStatus = "active" | "reauth_required";

/** A connected account as the HTTP API and the SDKs show it. */
export interface ConnectedAccount {
	/** The provider config id; equal to `provider`, kept for compatibility with the reference SDK. */
	id: string;
	provider: string;
	providerAccountId: string;
	scopes: string[];
	status: ConnectedAccountStatus;
	email?: string;
	displayName?: string;
	createdAt: string;
	updatedAt: string;
}

export interface User {
	id: string;
	externalId?: string;
	email?: string;
	displayName?: string;
	createdAt: string;
	connectedAccounts: ConnectedAccount[];
}

/** A Tether session as `POST /v1/token/exchange` and `POST /v1/token` return it. */
export interface Session {
	accessToken: string;
	accessTokenExpiresIn: number;
	refreshToken: string;
	user: User;
}

/** `POST …/access-token` → a fresh provider access token. */
export interface AccessTokenResponse {
	accessToken: string;
	tokenType: string;
	expiresAt: string | null;
	scopes: string[];
}

/** The provider-tokens guide's provider session. */
export interface ProviderSession {
	accessToken: string;
	expiresIn: number | null;
	expiresAt: string | null;
	refreshToken: string | null;
}

export interface HealthResponse {
	status: "ok";
	version: string;
}
