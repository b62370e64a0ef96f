// Test helper: drives @tether/oauth's steps with one catalog entry's settings against a replay
// server, the way the server will: endpoints, client auth, token quirks, error kinds, profile.
import type { ClientCredentials } from "../client-auth.ts";
import type { ProviderEndpoints } from "../endpoints.ts";
import { sendRequest } from "../http.ts";
import { processRevocationResponse } from "../revocation.ts";
import {
	exchangeAuthorizationCode,
	refreshTokens,
	revokeToken,
} from "../steps.ts";
import type { TokenResult } from "../token-response.ts";
import { processUserinfoResponse } from "../userinfo.ts";
import { buildProfileRequest, readJsonAnswer } from "./profile-request.ts";
import { type ReplayServer, startReplayServer } from "./replay-server.ts";
import { withTokenQuirks } from "./token-quirks.ts";
import type { CatalogEntry, ProviderProfile } from "./types.ts";

/** The clock every replay runs on. */
export const NOW = new Date("2030-01-01T00:00:00Z");
export const CLIENT_ID = "client-1";
export const CLIENT_SECRET = "secret-1";
export const REDIRECT_URI =
	"https://tether.example.test/v1/signin/provider/p/callback";
export const CODE_VERIFIER = "v".repeat(43);

export interface Replay {
	server: ReplayServer;
	/** The entry's endpoints (with config ones merged in), moved onto the replay server. */
	endpoints: Partial<ProviderEndpoints>;
	exchange(code?: string): Promise<TokenResult>;
	refresh(refreshToken?: string): Promise<TokenResult>;
	/** The profile call, then `profile.emails` when the profile has no verified email. */
	profile(accessToken?: string, url?: string): Promise<ProviderProfile | null>;
	/** RFC 7009 through `revokeToken`, or the entry's custom request. */
	revoke(token?: string): Promise<{ ok: boolean; status?: number }>;
	close(): Promise<void>;
}

/**
 * Starts a replay server for `entry`. `configEndpoints` plays the provider config's endpoints
 * for the generic entries; real URLs are moved onto the server with their path kept, so the
 * scripts also check that each entry calls the documented path.
 */
export async function startReplay(
	entry: CatalogEntry,
	configEndpoints: Partial<ProviderEndpoints> = {},
): Promise<Replay> {
	const server = await startReplayServer();
	const endpoints: Partial<ProviderEndpoints> = {};
	for (const [name, value] of Object.entries({
		...entry.endpoints,
		...configEndpoints,
	})) {
		if (typeof value === "string" && name !== "issuer") {
			Object.assign(endpoints, { [name]: server.local(value) });
		}
	}
	const client: ClientCredentials = {
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		authMethod: entry.clientAuth,
	};
	const stepOptions = {
		fetch: withTokenQuirks(entry),
		errorKinds: entry.errorKinds,
		now: () => NOW,
		timeoutMs: 5_000,
	};
	const tokenEndpoint = endpoints.tokenEndpoint ?? "";

	async function profileFetch(
		url: string,
		accessToken: string,
		headers = entry.profile?.headers,
	) {
		return sendRequest(
			buildProfileRequest({
				url: server.local(url),
				accessToken,
				method: url === entry.profile?.url ? entry.profile.method : "GET",
				headers,
			}),
			{ timeoutMs: 5_000 },
		);
	}

	return {
		server,
		endpoints,
		exchange: (code = "code-1") =>
			exchangeAuthorizationCode(
				{
					endpoints: { tokenEndpoint },
					client,
					code,
					redirectUri: REDIRECT_URI,
					codeVerifier: entry.pkce ? CODE_VERIFIER : undefined,
				},
				stepOptions,
			),
		refresh: (refreshToken = "rt-1") =>
			refreshTokens(
				{
					endpoints: { tokenEndpoint },
					client,
					refreshToken,
					scopeSeparator: entry.scopeSeparator,
				},
				stepOptions,
			),
		async profile(accessToken = "at-1", url = entry.profile?.url) {
			const { profile } = entry;
			if (profile === undefined || url === undefined) {
				throw new Error(`${entry.type} has no profile call`);
			}
			const answer = processUserinfoResponse(
				await profileFetch(url, accessToken),
			);
			const read = answer.ok ? profile.read(answer.claims) : null;
			if (
				read === null ||
				profile.emails === undefined ||
				(read.email && read.emailVerified)
			) {
				return read;
			}
			const emails = profile.emails.read(
				readJsonAnswer(await profileFetch(profile.emails.url, accessToken)),
			);
			return emails
				? { ...read, email: emails.email, emailVerified: emails.verified }
				: read;
		},
		async revoke(token = "at-1") {
			const { revocation } = entry;
			if (revocation.method === "none")
				throw new Error(`${entry.type} cannot revoke`);
			if (revocation.method === "rfc7009") {
				const result = await revokeToken(
					{
						endpoints: { revocationEndpoint: endpoints.revocationEndpoint },
						client,
						token,
					},
					{ now: () => NOW, timeoutMs: 5_000 },
				);
				return result.ok
					? { ok: true }
					: { ok: false, status: result.failure.status };
			}
			const built = revocation.build({
				token,
				clientId: CLIENT_ID,
				clientSecret: CLIENT_SECRET,
			});
			const body = await built.text();
			const moved = new Request(server.local(built.url), {
				method: built.method,
				headers: built.headers,
				body: body === "" ? undefined : body,
				redirect: "manual",
			});
			const outcome = await sendRequest(moved, { timeoutMs: 5_000 });
			if (!outcome.ok) return { ok: processRevocationResponse(outcome).ok };
			const { status } = outcome.response;
			return { ok: revocation.okStatuses.includes(status), status };
		},
		close: () => server.close(),
	};
}
