// oidc-provider ships no type declarations. This covers only the surface testkit and the
// server's development provider (packages/server/src/dev-provider) use, written from the v9
// source; widen it here if another package starts using more.
declare module "oidc-provider" {
	import type { IncomingMessage, ServerResponse } from "node:http";

	/** The Koa context as far as testkit reads or writes it. */
	export interface ProviderContext {
		status: number;
		body: unknown;
		type: string;
		path: string;
		method: string;
		oidc?: {
			route?: string;
			params?: Record<string, unknown>;
		};
	}

	export interface Account {
		accountId: string;
		claims(
			use: string,
			scope: string,
		): Record<string, unknown> | Promise<Record<string, unknown>>;
	}

	export interface Adapter {
		upsert(
			id: string,
			payload: Record<string, unknown>,
			expiresIn?: number,
		): Promise<void>;
		find(id: string): Promise<Record<string, unknown> | undefined>;
		destroy(id: string): Promise<void>;
		revokeByGrantId(grantId: string): Promise<void>;
		consume(id: string): Promise<void>;
		findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
		findByUserCode(
			userCode: string,
		): Promise<Record<string, unknown> | undefined>;
	}

	export interface Grant {
		readonly jti: string;
		accountId?: string;
		clientId?: string;
		/** Granted OIDC scopes, space-separated, minus rejected ones. */
		getOIDCScope(): string;
		getOIDCClaims(): string[];
		addOIDCScope(scope: string): void;
		rejectOIDCScope(scope: string): void;
		addOIDCClaims(claims: string[]): void;
		save(): Promise<string>;
	}

	export interface GrantModel {
		new (properties: { accountId: string; clientId: string }): Grant;
		find(id: string): Promise<Grant | undefined>;
		readonly adapter: Adapter;
	}

	export interface TokenModel {
		find(
			value: string,
		): Promise<{ grantId?: string; accountId?: string } | undefined>;
		readonly adapter: Adapter;
	}

	export interface InteractionDetails {
		uid: string;
		prompt: {
			name: string;
			reasons: string[];
			details: Record<string, unknown>;
		};
		params: Record<string, unknown>;
		session?: { accountId: string; uid: string };
		grantId?: string;
		returnTo: string;
		/** Saves changes to the interaction, keeping its expiry. */
		persist(): Promise<string>;
	}

	export interface InteractionResults {
		login?: { accountId: string };
		consent?: { grantId: string };
		error?: string;
		error_description?: string;
	}

	export interface CookieOptions {
		path?: string;
		httpOnly?: boolean;
		sameSite?: "lax" | "strict" | "none";
	}

	export interface ClientMetadata {
		client_id: string;
		client_secret?: string;
		redirect_uris: string[];
		grant_types?: string[];
		response_types?: string[];
		token_endpoint_auth_method?: string;
	}

	type TtlValue =
		| number
		| ((ctx: ProviderContext, ...rest: unknown[]) => number);

	export interface Configuration {
		jwks?: { keys: Record<string, unknown>[] };
		/** A factory given the model name (`Session`, `AccessToken`, …); default: in memory. */
		adapter?: (model: string) => Adapter;
		clients?: ClientMetadata[];
		cookies?: {
			keys?: string[];
			names?: { session?: string; interaction?: string; resume?: string };
			long?: CookieOptions;
			short?: CookieOptions;
		};
		findAccount?: (
			ctx: ProviderContext,
			sub: string,
		) => Promise<Account | undefined>;
		claims?: Record<string, string[] | null>;
		scopes?: string[];
		responseTypes?: string[];
		features?: Record<string, Record<string, unknown>>;
		interactions?: {
			url?: (ctx: ProviderContext, interaction: { uid: string }) => string;
		};
		issueRefreshToken?: () => boolean | Promise<boolean>;
		rotateRefreshToken?: boolean;
		expiresWithSession?: () => boolean | Promise<boolean>;
		conformIdTokenClaims?: boolean;
		clockTolerance?: number;
		pkce?: { required?: () => boolean };
		ttl?: Record<string, TtlValue>;
		renderError?: (
			ctx: ProviderContext,
			out: Record<string, unknown>,
			error: unknown,
		) => void | Promise<void>;
		clientBasedCORS?: () => boolean;
	}

	type Middleware = (
		ctx: ProviderContext,
		next: () => Promise<void>,
	) => Promise<void>;

	export default class Provider {
		constructor(issuer: string, configuration?: Configuration);
		readonly issuer: string;
		readonly Grant: GrantModel;
		readonly Session: {
			findByUid(uid: string): Promise<{ destroy(): Promise<void> } | undefined>;
		};
		readonly Client: { readonly adapter: Adapter };
		readonly AccessToken: TokenModel;
		readonly RefreshToken: TokenModel;
		readonly AuthorizationCode: TokenModel;
		callback(): (req: IncomingMessage, res: ServerResponse) => void;
		use(middleware: Middleware): this;
		on(
			event: "grant.revoked",
			listener: (ctx: ProviderContext, grantId: string) => void,
		): this;
		/** An unexpected error inside oidc-provider, answered with a 500. */
		on(
			event: "server_error",
			listener: (ctx: ProviderContext, error: Error) => void,
		): this;
		interactionDetails(
			req: IncomingMessage,
			res: ServerResponse,
		): Promise<InteractionDetails>;
		interactionFinished(
			req: IncomingMessage,
			res: ServerResponse,
			result: InteractionResults,
			options?: { mergeWithLastSubmission?: boolean },
		): Promise<void>;
	}
}

// oidc-provider's own in-memory adapter, used by testkit with a store of its choosing.
declare module "oidc-provider/lib/adapters/memory_adapter.js" {
	import type { Adapter } from "oidc-provider";

	/** `store` needs `get`, `set(key, value, { maxAge? })`, `has` and `delete`, like its LRU. */
	const MemoryAdapter: new (
		model: string,
		store: unknown,
		clockTolerance?: number,
	) => Adapter;
	export default MemoryAdapter;
}
