/**
 * The peer in the benchmarks: Better Auth (see better-auth-process.ts), started as a child, and
 * the browser's part of its OAuth sign-in, played headlessly against the bench's upstream.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authorize, createCookieJar } from "@tether/testkit";
import { type ChildHandle, forkChild } from "./common.ts";

export const betterAuthProviderId = "upstream";

/** What `better-auth-process.ts` reads from its argument. */
export interface BetterAuthProcessSpec {
	port: number;
	baseUrl: string;
	sqliteFile: string;
	/** Create the tables (the first process on a file). */
	migrate: boolean;
	upstream: { issuer: string; clientId: string; clientSecret: string };
	/** Better Auth's `account.encryptOAuthTokens` (default false, as Better Auth's own default). */
	encryptOAuthTokens?: boolean;
}

/** A temp SQLite file for Better Auth. */
export function betterAuthSqliteFile(): string {
	return join(mkdtempSync(join(tmpdir(), "better-auth-bench-")), "auth.db");
}

export function startBetterAuthProcess(
	spec: BetterAuthProcessSpec,
	options: { execArgv?: string[] } = {},
): Promise<ChildHandle> {
	return forkChild("better-auth-process.ts", spec, options);
}

/** The redirect URI Better Auth sends to the provider for the generic provider. */
export function betterAuthCallbackUrl(baseUrl: string): string {
	return `${baseUrl}/api/auth/callback/${betterAuthProviderId}`;
}

/** Everything a call to Better Auth's token endpoint needs. */
export interface BetterAuthSession {
	/** The `Cookie` header (the session cookie Better Auth set at the callback). */
	cookie: string;
	/** Better Auth's own id of the linked account, for `{ accountId }`. */
	accountId: string;
	userId: string;
}

/**
 * Plays the browser once: Better Auth's social sign-in with the generic provider, the upstream's
 * login and consent as `account`, the callback; then reads the account id from `list-accounts`.
 */
export async function signInBetterAuth(
	baseUrl: string,
	account: string,
): Promise<BetterAuthSession> {
	const jar = createCookieJar();
	const send = async (url: string, init: RequestInit = {}) => {
		const target = new URL(url);
		const headers = new Headers(init.headers);
		const cookie = jar.headerFor(target);
		if (cookie !== undefined) headers.set("cookie", cookie);
		headers.set("origin", baseUrl);
		const response = await fetch(target, {
			...init,
			headers,
			redirect: "manual",
		});
		jar.store(response);
		return response;
	};
	const started = await send(`${baseUrl}/api/auth/sign-in/social`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({
			provider: betterAuthProviderId,
			callbackURL: `${baseUrl}/signed-in`,
			disableRedirect: true,
		}),
	});
	const startBody = (await started.json()) as { url?: unknown };
	if (started.status !== 200 || typeof startBody.url !== "string")
		throw new Error(
			`Better Auth sign-in start answered ${started.status}: ${JSON.stringify(startBody)}`,
		);
	const callback = await authorize(startBody.url, { account });
	const back = await send(callback.toString());
	await back.body?.cancel();
	if (back.status !== 302)
		throw new Error(
			`Better Auth callback answered ${back.status} (${back.headers.get("location")})`,
		);
	const listed = await send(`${baseUrl}/api/auth/list-accounts`);
	const accounts = (await listed.json()) as {
		id: string;
		providerId: string;
		userId: string;
	}[];
	const linked = Array.isArray(accounts)
		? accounts.find((a) => a.providerId === betterAuthProviderId)
		: undefined;
	if (linked === undefined)
		throw new Error(
			`Better Auth list-accounts answered ${listed.status}: ${JSON.stringify(accounts)}`,
		);
	const cookie = jar.headerFor(new URL(`${baseUrl}/api/auth/get-access-token`));
	if (cookie === undefined) throw new Error("no Better Auth session cookie");
	return { cookie, accountId: linked.id, userId: linked.userId };
}

/** The request for a token from Better Auth, as autocannon and the herd send it. */
export function betterAuthTokenRequest(
	baseUrl: string,
	session: BetterAuthSession,
): { path: string; headers: Record<string, string>; body: string } {
	return {
		path: "/api/auth/get-access-token",
		headers: {
			cookie: session.cookie,
			origin: baseUrl,
			"content-type": "application/json",
		},
		body: JSON.stringify({ accountId: session.accountId }),
	};
}
