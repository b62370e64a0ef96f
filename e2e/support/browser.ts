import { authorize, createCookieJar } from "@tether/testkit";

export interface SignedIn {
	userId: string;
	sessionToken: string;
}

/**
 * Signs in the way a browser does: Tether's sign-in URL (cookies kept), the upstream's login and
 * consent played headless by `authorize`, the callback back at Tether, and the app exchanging
 * the one-time code for a session.
 */
export async function signIn(input: {
	/** Where the browser talks to Tether: the process the config's `baseUrl` points at. */
	tetherUrl: string;
	provider: string;
	account: string;
	redirectTo: string;
}): Promise<SignedIn> {
	const jar = createCookieJar();
	async function get(url: string): Promise<Response> {
		const target = new URL(url);
		const headers = new Headers();
		const cookie = jar.headerFor(target);
		if (cookie !== undefined) headers.set("cookie", cookie);
		const response = await fetch(target, { headers, redirect: "manual" });
		jar.store(response);
		return response;
	}

	const start = new URL(
		`${input.tetherUrl}/v1/signin/provider/${input.provider}`,
	);
	start.searchParams.set("redirectTo", input.redirectTo);
	const toProvider = await get(start.toString());
	if (toProvider.status !== 302)
		throw new Error(
			`sign-in start answered ${toProvider.status}: ${await toProvider.text()}`,
		);
	const callback = await authorize(toProvider.headers.get("location") ?? "", {
		account: input.account,
	});
	const back = await get(callback.toString());
	if (back.status !== 302)
		throw new Error(`callback answered ${back.status}: ${await back.text()}`);
	const code = new URL(back.headers.get("location") ?? "").searchParams.get(
		"code",
	);
	if (code === null) throw new Error("no code in the redirect back to the app");

	const exchanged = await fetch(`${input.tetherUrl}/v1/token/exchange`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ code }),
	});
	const body: unknown = await exchanged.json();
	if (
		exchanged.status !== 200 ||
		typeof body !== "object" ||
		body === null ||
		!("accessToken" in body) ||
		typeof body.accessToken !== "string" ||
		!("user" in body) ||
		typeof body.user !== "object" ||
		body.user === null ||
		!("id" in body.user) ||
		typeof body.user.id !== "string"
	)
		throw new Error(
			`exchange answered ${exchanged.status}: ${JSON.stringify(body)}`,
		);
	return { userId: body.user.id, sessionToken: body.accessToken };
}
