import {
	createTetherClient,
	memoryStorage,
	ProviderUnavailableError,
	type TetherClient,
	TetherClientError,
} from "@tether/client";
import { type FaultProvider, startFaultProvider } from "@tether/testkit";
import { createElement as h, type ReactNode, Suspense } from "react";
import { prerender } from "react-dom/static";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedInClient } from "../../client/test/support.ts";
import {
	faultProvider,
	startTestTether,
	type TestTether,
} from "../../server/test/harness.ts";
import {
	TetherProvider,
	useConnectedAccount,
	useConnectedAccounts,
	useUser,
} from "../src/index.ts";

/**
 * Hook-level checks without a browser: react-dom/static's `prerender` waits for every Suspense
 * boundary, so what it returns is what a component shows once the hooks have their answers.
 * Errors thrown inside a boundary reach `onError` (server rendering has no error boundaries).
 */
async function render(client: TetherClient, children: ReactNode) {
	const errors: unknown[] = [];
	const { prelude } = await prerender(
		h(
			TetherProvider,
			{ client },
			h(Suspense, { fallback: h("p", null, "fallback") }, children),
		),
		{ onError: (error) => void errors.push(error) },
	);
	// React separates adjacent text nodes with empty comments; the assertions read the text.
	const html = (await new Response(prelude).text()).replaceAll("<!-- -->", "");
	return { html, errors };
}

/** The top-level hooks, the token as data, and missing scopes as a Result error. */
function AccountsAndTokens() {
	const accounts = useConnectedAccounts();
	const one = useConnectedAccount({
		provider: "upstream",
		providerAccountId: "grace",
	});
	const missing = useConnectedAccount({
		provider: "upstream",
		providerAccountId: "nobody",
	});
	const result = accounts[0]?.useAccessToken();
	const more = one?.useAccessToken({ scopes: ["not-granted"] });
	return h(
		"p",
		null,
		`${accounts.length} ${one?.providerAccountId} ${missing === null} `,
		result?.status === "ok" ? `token=${result.data.accessToken}` : "none",
		more?.status === "error"
			? ` ${more.error.reason} ${more.error.missingScopes.join(",")}`
			: " unexpected",
	);
}

/** useUser with the `or` it is given. */
function Who({ or }: { or: "return-null" | "throw" }) {
	const user = useUser({ or });
	return h("p", null, user === null ? "signed out" : `user ${user.id}`);
}

/** The first account's token, or what the Result says. */
function FirstToken() {
	const [account] = useConnectedAccounts();
	const result = account?.useAccessToken();
	return h(
		"p",
		null,
		result?.status === "ok" ? "token" : `result ${result?.status}`,
	);
}

describe("hooks against a live Tether and the oidc-provider upstream", () => {
	let tether: TestTether;
	let client: TetherClient;

	beforeAll(async () => {
		tether = await startTestTether({});
		({ client } = await signedInClient(tether, "grace"));
	});
	afterAll(async () => {
		client?.destroy();
		await tether?.close();
	});

	it("top-level hooks give the signed-in user's accounts; useAccessToken gives the token as a Result", async () => {
		const { html, errors } = await render(client, h(AccountsAndTokens));
		expect(errors).toEqual([]);
		const user = await client.getUser();
		const [account] = (await user?.listConnectedAccounts()) ?? [];
		const direct = await account?.getAccessToken();
		if (direct?.status !== "ok") throw new Error("expected a token");
		expect(html).toContain(
			`1 grace true token=${direct.data.accessToken} insufficient_scopes not-granted`,
		);
	});

	it("useUser: the user's id when signed in; for a signed-out visitor null, or UNAUTHENTICATED with or: throw", async () => {
		const signedIn = await render(client, h(Who, { or: "throw" }));
		expect(signedIn.html).toContain(`user ${client.getSnapshot().user?.id}`);

		const visitor = createTetherClient({
			baseUrl: tether.baseUrl,
			storage: memoryStorage(),
		});
		const returned = await render(visitor, h(Who, { or: "return-null" }));
		expect(returned.html).toContain("signed out");
		const thrown = await render(visitor, h(Who, { or: "throw" }));
		expect(thrown.html).not.toContain("signed out");
		expect(thrown.errors).toHaveLength(1);
		expect(thrown.errors[0]).toBeInstanceOf(TetherClientError);
		expect((thrown.errors[0] as TetherClientError).code).toBe(
			"UNAUTHENTICATED",
		);
		visitor.destroy();
	});
});

describe("a provider outage under useAccessToken (fault provider scripted to 503)", () => {
	let tether: TestTether;
	let fault: FaultProvider;
	let client: TetherClient;

	beforeAll(async () => {
		fault = await startFaultProvider();
		tether = await startTestTether({
			config: { refreshMarginSeconds: 1 },
			providers: () => [faultProvider(fault, "flaky")],
		});
		tether.provider = "flaky";
		// A token that is already within the refresh margin, so the first read refreshes.
		fault.enqueue({ kind: "success", expiresIn: 1 });
		({ client } = await signedInClient(tether, "outage-user"));
	});
	afterAll(async () => {
		client?.destroy();
		await tether?.close();
		await fault?.close();
	});

	it("is thrown to the error boundary as ProviderUnavailableError, never rendered as a Result error", async () => {
		fault.enqueue({ kind: "unavailable", retryAfter: 5 });
		const { html, errors } = await render(client, h(FirstToken));
		expect(html).not.toContain("result");
		expect(errors).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(ProviderUnavailableError);
		expect((errors[0] as ProviderUnavailableError).code).toBe(
			"PROVIDER_UNAVAILABLE",
		);
	});
});
