import { type FaultProvider, startFaultProvider } from "@tether/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	faultProvider,
	startTestTether,
	type TestTether,
} from "../../server/test/harness.ts";
import {
	type ConnectedAccountHandle,
	ProviderUnavailableError,
	TetherClientError,
	type TetherUser,
} from "../src/index.ts";
import { appUrl, signedInClient, sleep } from "./support.ts";

describe("a grant revoked at the provider (2-second tokens, strict rotation)", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether({
			accessTokenTtlSeconds: 2,
			config: { refreshMarginSeconds: 1 },
		});
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("is a reauth_required Result; getOrLink reconnects that same account", async () => {
		const { client, user, navigations, browser } = await signedInClient(
			tether,
			"kai",
		);
		const [account] = await user.listConnectedAccounts();
		expect((await account?.getAccessToken())?.status).toBe("ok");

		await tether.upstream.revokeGrant({ account: "kai" });
		await sleep(2100);
		const result = await account?.getAccessToken();
		if (result?.status !== "error") throw new Error("expected an error");
		expect(result.error.reason).toBe("reauth_required");
		expect(result.error.missingScopes).toEqual([]);
		const flagged = await user.getConnectedAccount({
			provider: "upstream",
			providerAccountId: "kai",
		});
		expect(flagged?.status).toBe("reauth_required");

		const navigated = navigations.next();
		void user.getOrLinkConnectedAccount("upstream", { redirectTo: appUrl });
		const landed = await browser.follow(await navigated, { account: "kai" });
		expect(await client.handleRedirectCallback(landed)).toMatchObject({
			type: "linked",
		});
		const back = await user.getOrLinkConnectedAccount("upstream");
		expect(back.providerAccountId).toBe("kai");
		expect(back.status).toBe("active");
		expect((await back.getAccessToken()).status).toBe("ok");
		expect(await user.listConnectedAccounts()).toHaveLength(1);
		client.destroy();
	});
});

describe("a provider outage (fault provider scripted to 503)", () => {
	let tether: TestTether;
	let fault: FaultProvider;
	let clock = 0;
	const now = () => Date.now() + clock;
	/** Moves both clocks past the 60-second token's expiry and past any backoff. */
	const later = (seconds = 120) => {
		clock += seconds * 1000;
	};
	let user: TetherUser;
	let account: ConnectedAccountHandle;
	let destroy: () => void;

	beforeAll(async () => {
		fault = await startFaultProvider();
		tether = await startTestTether({
			now,
			config: { refreshMarginSeconds: 1 },
			providers: (upstream) => [
				{
					id: "upstream",
					type: "oidc",
					issuer: upstream.issuer,
					clientId: upstream.clientId,
					clientSecret: upstream.clientSecret,
				},
				faultProvider(fault, "flaky"),
			],
		});
		tether.provider = "flaky";
		fault.enqueue({ kind: "success", expiresIn: 60 });
		const signedIn = await signedInClient(tether, "fault-user", { now });
		user = signedIn.user;
		destroy = () => signedIn.client.destroy();
		const [first] = await user.listConnectedAccounts();
		if (first === undefined) throw new Error("no account");
		account = first;
	});
	afterAll(async () => {
		destroy?.();
		await tether?.close();
		await fault?.close();
	});

	it("throws a retryable ProviderUnavailableError (not a Result error), then works again", async () => {
		later();
		fault.enqueue({ kind: "unavailable", retryAfter: 7 });
		const failure = await account.getAccessToken().then(
			() => null,
			(error: unknown) => error,
		);
		expect(failure).toBeInstanceOf(ProviderUnavailableError);
		expect(failure).toBeInstanceOf(TetherClientError);
		if (!(failure instanceof ProviderUnavailableError)) return;
		expect(failure.code).toBe("PROVIDER_UNAVAILABLE");
		expect(failure.status).toBe(503);
		expect(failure.retryable).toBe(true);
		expect(failure.retryAfterSeconds).toBeGreaterThanOrEqual(7);
		expect(failure.provider).toBe("flaky");

		// The account is untouched by the outage.
		const same = await user.getConnectedAccount({
			provider: "flaky",
			providerAccountId: "fault-user",
		});
		expect(same?.status).toBe("active");

		later();
		fault.enqueue({ kind: "success", expiresIn: 60 });
		const healed = await account.getAccessToken();
		expect(healed.status).toBe("ok");
	});

	it("getOrLink still returns an account whose stored grant has the scopes while the provider is down", async () => {
		later();
		fault.enqueue({ kind: "unavailable", retryAfter: 5 });
		const found = await user.getOrLinkConnectedAccount("flaky", {
			scopes: ["read"],
		});
		expect(found.providerAccountId).toBe("fault-user");
		later();
	});
});
