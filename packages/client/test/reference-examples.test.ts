import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestTether, type TestTether } from "../../server/test/harness.ts";
import type {
	ConnectedAccountHandle,
	OAuthAccessTokenNotAvailable,
	Result,
	TetherUser,
} from "../src/index.ts";
import { appUrl, signedInClient } from "./support.ts";

const driveReadonly = "https://www.googleapis.com/auth/drive.readonly";

// The connected-accounts reference's declaration: Tether's method must fit it as declared.
type ReferenceGetAccessToken = (options?: {
	scopes?: string[];
}) => Promise<Result<{ accessToken: string }, OAuthAccessTokenNotAvailable>>;

// The reference's first snippet, as written.
async function referenceExampleDefault(account: ConnectedAccountHandle) {
	const result = await account.getAccessToken();
	if (result.status === "ok") {
		const { accessToken } = result.data;
		// Use accessToken to call provider APIs
		return accessToken;
	}
	return null;
}

// The reference's second snippet, as written.
async function referenceExampleScopes(account: ConnectedAccountHandle) {
	const result = await account.getAccessToken({
		scopes: ["https://www.googleapis.com/auth/drive.readonly"],
	});
	return result;
}

// The reference's React example without React (its hooks are the React package's): the same
// lookups and the same branches, rendering to a string.
async function referenceExampleComponent(user: TetherUser): Promise<string> {
	const accounts = await user.listConnectedAccounts();
	const googleAccount = accounts.find((a) => a.provider === "google");
	const result = await googleAccount?.getAccessToken();
	if (result?.status === "ok") {
		return `Token: ${result.data.accessToken}`;
	}
	return "No Google token available";
}

describe("the connected-accounts reference's examples, against a provider configured as google", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether({
			upstream: {
				redirectUris: [],
				extraScopes: ["read", driveReadonly],
			},
			providers: (upstream) => [
				{
					id: "google",
					type: "oidc",
					issuer: upstream.issuer,
					clientId: upstream.clientId,
					clientSecret: upstream.clientSecret,
					scopes: ["openid", "email", "profile", "offline_access"],
				},
			],
		});
		tether.provider = "google";
		await tether.upstream.addRedirectUri(
			`${tether.baseUrl}/v1/signin/provider/google/callback`,
		);
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("run as written: a token, then the drive scope missing, linked, and granted", async () => {
		const { client, user, browser, navigations } = await signedInClient(
			tether,
			"noor",
		);
		const [account] = await user.listConnectedAccounts();
		if (account === undefined) throw new Error("no account");
		const conforms: ReferenceGetAccessToken = account.getAccessToken;
		expect(typeof conforms).toBe("function");

		expect(await referenceExampleDefault(account)).toEqual(expect.any(String));
		expect(await referenceExampleComponent(user)).toMatch(/^Token: .+/);

		const missing = await referenceExampleScopes(account);
		expect(missing).toMatchObject({
			status: "error",
			error: { reason: "insufficient_scopes", missingScopes: [driveReadonly] },
		});

		const navigated = navigations.next();
		void user.getOrLinkConnectedAccount("google", {
			scopes: [driveReadonly],
			redirectTo: appUrl,
		});
		const landed = await browser.follow(await navigated, { account: "noor" });
		await client.handleRedirectCallback(landed);
		const upgraded = await user.getConnectedAccount({
			provider: "google",
			providerAccountId: "noor",
		});
		if (upgraded === null) throw new Error("account gone");
		const granted = await referenceExampleScopes(upgraded);
		expect(granted.status).toBe("ok");
		if (granted.status === "ok")
			expect(granted.data.scopes).toContain(driveReadonly);
		client.destroy();
	});
});
