import {
	buildAuthorizationUrl,
	computeCodeChallenge,
	exchangeAuthorizationCode,
	generateCodeVerifier,
	generateNonce,
	generateState,
	normalizeScopes,
	validateAuthorizationResponse,
} from "@tether/oauth";
import { hashToken, newId, randomToken } from "../auth/random.ts";
import { isAllowedRedirect } from "../auth/redirect-allow-list.ts";
import { decrypt, encrypt } from "../crypto/index.ts";
import { TetherError } from "../errors.ts";
import type { FlowKind, OAuthFlowRow } from "../store/index.ts";
import type { VaultDeps } from "./deps.ts";
import { readIdentity } from "./identity.ts";
import { storeAuthorizedAccount } from "./link-account.ts";
import { parkLink } from "./pending-links.ts";
import type { RuntimeProvider } from "./providers.ts";

/** RFC 9700 §4.7: state lives 10 minutes and is good for one callback. */
const flowTtlMs = 10 * 60 * 1000;
/** The one-time code the app exchanges for a session. */
const authCodeTtlMs = 60 * 1000;
/** The guide's provider session: readable once, for this long. */
const providerSessionTtlMs = 10 * 60 * 1000;

const knownAuthorizationErrors = new Set([
	"access_denied",
	"invalid_request",
	"unauthorized_client",
	"unsupported_response_type",
	"invalid_scope",
	"server_error",
	"temporarily_unavailable",
	"login_required",
	"consent_required",
	"interaction_required",
	"account_selection_required",
]);

const flowAad = (stateHash: string) => ({
	table: "oauth_flows",
	rowId: stateHash,
	field: "code_verifier_enc",
});

export interface StartFlowInput {
	provider: RuntimeProvider;
	kind: FlowKind;
	/** For `link`: who the account will belong to. */
	userId: string | null;
	redirectTo: string;
	/** Asked for on top of the provider's configured scopes. */
	extraScopes: string[];
	loginHint: string | null;
	/** PKCE between the app and Tether (S256), checked at `/v1/token/exchange`. */
	appCodeChallenge: string | null;
	/** Upgrade this account (same user) instead of adding another. */
	providerAccountId: string | null;
	/** Hash of the browser-binding cookie; the callback must come from the same browser. */
	browserBindingHash: string;
}

/** Checks `redirectTo` against the allow-list; the stored value is the only one the callback uses. */
export function checkRedirect(
	deps: VaultDeps,
	redirectTo: string | undefined,
): string {
	const target = redirectTo ?? deps.config.allowedRedirectUrls[0];
	if (
		target === undefined ||
		!isAllowedRedirect(target, deps.config.allowedRedirectUrls)
	) {
		throw new TetherError(
			"INVALID_REQUEST",
			"redirectTo is not an allowed redirect URL.",
			{
				details: { field: "redirectTo" },
			},
		);
	}
	return target;
}

/**
 * Starts an authorization: stores the flow server-side under the hash of a fresh `state` and
 * returns the provider URL. PKCE S256 on every flow; a nonce whenever an ID token is expected.
 */
export async function startFlow(
	deps: VaultDeps,
	input: StartFlowInput,
): Promise<URL> {
	const { provider, store } = { provider: input.provider, store: deps.store };
	const { entry } = provider;
	const now = deps.now();
	const endpoints = await provider.endpoints();

	let scopes = [
		...provider.scopes,
		...(entry.offlineAccess.scopes ?? []),
		...input.extraScopes,
	];
	const params: Record<string, string> = {
		...entry.authorizationParams,
		...entry.offlineAccess.params,
		...provider.params,
	};
	let loginHint = input.loginHint;
	let holdsRefreshToken = false;
	if (input.providerAccountId !== null && input.userId !== null) {
		const existing = await store.findConnectedAccount(
			provider.id,
			input.providerAccountId,
		);
		if (existing !== null && existing.userId === input.userId) {
			holdsRefreshToken =
				existing.refreshTokenEnc !== null && existing.status === "active";
			loginHint ??= existing.email ?? existing.providerAccountId;
			if (entry.incrementalConsentParams !== undefined)
				Object.assign(params, entry.incrementalConsentParams);
			// Without incremental consent the provider replaces the grant: ask for everything again.
			else scopes = [...scopes, ...existing.scopes];
		}
	}
	if (!holdsRefreshToken)
		Object.assign(params, entry.offlineAccess.paramsWhenNoRefreshToken);
	if (loginHint !== null && entry.loginHintParam !== undefined)
		params[entry.loginHintParam] = loginHint;
	if (entry.responseMode === "form_post") params.response_mode = "form_post";
	scopes = normalizeScopes(entry, scopes);

	const state = generateState();
	const stateHash = hashToken(state);
	const codeVerifier = generateCodeVerifier();
	const nonce = entry.protocol === "oidc" ? generateNonce() : null;
	const flow: OAuthFlowRow = {
		stateHash,
		kind: input.kind,
		providerConfigId: provider.id,
		userId: input.userId,
		redirectTo: input.redirectTo,
		scopes,
		codeVerifierEnc: encrypt(deps.ring, codeVerifier, flowAad(stateHash)),
		nonce,
		browserBindingHash: input.browserBindingHash,
		appCodeChallenge: input.appCodeChallenge,
		loginHint,
		providerAccountId: input.providerAccountId,
		expiresAt: now + flowTtlMs,
		createdAt: now,
	};
	await store.putOAuthFlow(flow);
	// Slack takes user-token scopes in `user_scope`; everyone else in `scope`.
	const scopeParam = entry.scopeParam ?? "scope";
	if (scopeParam !== "scope")
		params[scopeParam] = scopes.join(entry.scopeSeparator);
	return buildAuthorizationUrl({
		endpoints,
		clientId: provider.clientId,
		redirectUri: provider.redirectUri,
		scopes: scopeParam === "scope" ? scopes : [],
		scopeSeparator: entry.scopeSeparator,
		state,
		...(entry.pkce
			? { codeChallenge: await computeCodeChallenge(codeVerifier) }
			: {}),
		...(nonce === null ? {} : { nonce }),
		extraParams: params,
	});
}

/** Where the browser goes when a callback ends: the app's `redirectTo`, with a result parameter. */
export interface FlowOutcome {
	redirect: URL;
}

function withParams(base: string, params: Record<string, string>): URL {
	const url = new URL(base);
	for (const [key, value] of Object.entries(params))
		url.searchParams.set(key, value);
	return url;
}

const invalidCallback = (reason: string) =>
	new TetherError(
		"INVALID_REQUEST",
		"This sign-in link is invalid or has expired; start again.",
		{
			details: { reason },
		},
	);

/**
 * Finishes an authorization. Checks, in order: the state (single use, unexpired, this provider,
 * this browser), the RFC 9207 issuer, then the code goes to this flow's own provider only. Before
 * the state is known good nothing is redirected anywhere; afterwards failures go back to the
 * stored `redirectTo` as `?error=…`, never to anything the callback's query says.
 */
export async function finishFlow(
	deps: VaultDeps,
	input: {
		provider: RuntimeProvider;
		params: URLSearchParams;
		browserBindingHash: string | null;
	},
): Promise<FlowOutcome> {
	const { provider, params } = input;
	const state = params.get("state");
	if (state === null || state.length > 512)
		throw invalidCallback("state_missing");
	const stateHash = hashToken(state);
	const flow = await deps.store.consumeOAuthFlow(stateHash, deps.now());
	if (flow === null) throw invalidCallback("state_unknown");
	// A state minted for another provider arriving here is a mix-up attempt (RFC 9700 §4.4).
	if (flow.providerConfigId !== provider.id)
		throw invalidCallback("provider_mismatch");
	if (
		input.browserBindingHash === null ||
		input.browserBindingHash !== flow.browserBindingHash
	) {
		throw invalidCallback("browser_mismatch");
	}

	const fail = (
		error: string,
		extra: Record<string, string> = {},
	): FlowOutcome => ({
		redirect: withParams(flow.redirectTo, { error, ...extra }),
	});

	const endpoints = await provider.endpoints();
	const response = validateAuthorizationResponse({
		response: params,
		expectedState: state,
		...(endpoints.issuer === undefined
			? {}
			: { expectedIssuer: endpoints.issuer }),
		requireIssuer: endpoints.issParameterSupported === true,
	});
	if (!response.ok) {
		if (response.problem === "provider_error") {
			// Only the codes RFC 6749 §4.1.2.1 and OIDC define travel on to the app: the provider's
			// string is not ours to echo into someone's URL.
			const error = response.error ?? "access_denied";
			return fail(
				knownAuthorizationErrors.has(error) ? error : "provider_error",
			);
		}
		deps.logger.warn(
			{ provider: provider.id, problem: response.problem },
			"authorization response refused",
		);
		return fail("invalid_callback");
	}

	const codeVerifier = decrypt(
		deps.ring,
		flow.codeVerifierEnc,
		flowAad(stateHash),
	);
	const tokenResult = await exchangeAuthorizationCode(
		{
			endpoints,
			client: provider.credentials(),
			code: response.code,
			redirectUri: provider.redirectUri,
			...(provider.entry.pkce ? { codeVerifier } : {}),
		},
		{
			fetch: provider.tokenFetch,
			timeoutMs: provider.timeoutMs,
			...(provider.entry.errorKinds === undefined
				? {}
				: { errorKinds: provider.entry.errorKinds }),
		},
	);
	if (!tokenResult.ok) {
		deps.logger.warn(
			{
				provider: provider.id,
				kind: tokenResult.failure.kind,
				error: tokenResult.failure.error,
			},
			"code exchange failed",
		);
		return fail(
			tokenResult.failure.kind === "transient"
				? "temporarily_unavailable"
				: "server_error",
		);
	}
	const tokens = tokenResult.tokens;

	let profile: Awaited<ReturnType<typeof readIdentity>>;
	try {
		profile = await readIdentity({
			provider,
			tokens,
			nonce: flow.nonce,
			fetch: deps.fetch,
			now: deps.now,
		});
	} catch (error) {
		if (error instanceof TetherError) {
			deps.logger.warn(
				{ provider: provider.id, code: error.code, details: error.details },
				"identity check failed",
			);
			return fail(
				error.code === "PROVIDER_UNAVAILABLE"
					? "temporarily_unavailable"
					: "invalid_identity",
			);
		}
		throw error;
	}

	if (flow.kind === "link") {
		if (flow.userId === null)
			throw new Error("unreachable: a link flow always names its user");
		const linkCode = await parkLink(deps, {
			provider,
			userId: flow.userId,
			profile,
			tokens,
			requestedScopes: flow.scopes,
		});
		return {
			redirect: withParams(flow.redirectTo, {
				linked: provider.id,
				link_code: linkCode,
			}),
		};
	}

	let stored: Awaited<ReturnType<typeof storeAuthorizedAccount>>;
	try {
		stored = await storeAuthorizedAccount(deps, {
			provider,
			profile,
			tokens,
			requestedScopes: flow.scopes,
			userId: null,
		});
	} catch (error) {
		if (error instanceof TetherError && error.code === "ACCOUNT_ALREADY_LINKED")
			return fail(error.code);
		throw error;
	}
	const { account } = stored;
	const now = deps.now();

	// Sign-in: a one-time code for the app, and the guide's provider session bound to the session
	// family that code will create.
	const code = randomToken();
	const sessionFamilyId = newId("fam");
	await deps.store.putAuthCode({
		codeHash: hashToken(code),
		userId: account.userId,
		sessionFamilyId,
		appCodeChallenge: flow.appCodeChallenge,
		expiresAt: now + authCodeTtlMs,
		createdAt: now,
	});
	const providerSessionId = newId("ps");
	await deps.store.putProviderSession({
		id: providerSessionId,
		userId: account.userId,
		sessionFamilyId,
		providerConfigId: provider.id,
		connectedAccountId: account.id,
		payloadEnc: encrypt(
			deps.ring,
			JSON.stringify({
				accessToken: tokens.accessToken,
				refreshToken: tokens.refreshToken ?? null,
				expiresAt:
					tokens.expiresIn === undefined ? null : now + tokens.expiresIn * 1000,
			}),
			{
				table: "provider_sessions",
				rowId: providerSessionId,
				field: "payload_enc",
			},
		),
		expiresAt: now + providerSessionTtlMs,
		createdAt: now,
	});
	return { redirect: withParams(flow.redirectTo, { code }) };
}
