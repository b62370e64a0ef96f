import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	createBrowser,
	startTestTether,
	type TestTether,
} from "../../server/test/harness.ts";
import {
	type AuthSnapshot,
	createTetherClient,
	type LockManagerLike,
	memoryStorage,
	TetherClientError,
} from "../src/index.ts";
import {
	appUrl,
	countingFetch,
	navigationRecorder,
	signedInClient,
	sleep,
} from "./support.ts";

type LockTestManager = LockManagerLike & { granted: number };

/** The Web Locks API's exclusive mode, in process: what `navigator.locks` gives two tabs. */
function inProcessLocks(): LockTestManager {
	const tails = new Map<string, Promise<unknown>>();
	const locks = {
		granted: 0,
		request<T>(
			name: string,
			callback: (lock: unknown) => T,
		): Promise<Awaited<T>> {
			const previous = tails.get(name) ?? Promise.resolve();
			const run = previous.then(async (): Promise<Awaited<T>> => {
				locks.granted += 1;
				return await callback({ name, mode: "exclusive" });
			});
			tails.set(
				name,
				run.catch(() => {}),
			);
			return run;
		},
	};
	return locks;
}

/** A field of the session the client stored (what another tab would read). */
const storedField = async (
	storage: ReturnType<typeof memoryStorage>,
	field: "accessToken" | "refreshToken",
): Promise<string | null> => {
	const raw = await storage.getItem("tether.session");
	if (raw === null) return null;
	const value: unknown = JSON.parse(raw);
	if (typeof value !== "object" || value === null || !(field in value))
		return null;
	const found: unknown = Reflect.get(value, field);
	return typeof found === "string" ? found : null;
};

describe("sign-in and the session, against a real Tether and oidc-provider", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether();
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("signs in by redirect with PKCE and publishes loading → signed-out → signed-in", async () => {
		const navigations = navigationRecorder();
		const storage = memoryStorage();
		const client = createTetherClient({
			baseUrl: tether.baseUrl,
			storage,
			redirect: navigations.redirect,
		});
		const seen: AuthSnapshot["status"][] = [client.getSnapshot().status];
		client.subscribe(() => seen.push(client.getSnapshot().status));
		expect(await client.getUser()).toBeNull();

		await client.signInWithRedirect({
			provider: "upstream",
			redirectTo: appUrl,
			scopes: ["read"],
		});
		const start = new URL(navigations.seen[0] ?? "");
		expect(start.pathname).toBe("/v1/signin/provider/upstream");
		expect(start.searchParams.get("redirectTo")).toBe(appUrl);
		expect(start.searchParams.get("scopes")).toBe("read");
		expect(start.searchParams.get("codeChallenge")).toMatch(
			/^[A-Za-z0-9_-]{43}$/,
		);
		expect(await storage.getItem("tether.pkce")).toMatch(/^[\w-]{43}$/);

		const landed = await createBrowser(tether).follow(start.toString(), {
			account: "ada",
		});
		expect(landed.searchParams.get("code")).not.toBeNull();
		const result = await client.handleRedirectCallback(landed);
		expect(result.type).toBe("signed-in");
		expect(await storage.getItem("tether.pkce")).toBeNull();

		const snapshot = client.getSnapshot();
		expect(seen).toEqual(["loading", "signed-out", "signed-in"]);
		expect(snapshot.status).toBe("signed-in");
		expect(snapshot.user?.email).toBe("ada@upstream.test");
		// Stable identity for useSyncExternalStore, and getUser hands out the same object.
		expect(client.getSnapshot()).toBe(snapshot);
		expect(await client.getUser()).toBe(snapshot.user);
		const accounts = await snapshot.user?.listConnectedAccounts();
		expect(accounts?.map((a) => a.scopes.includes("read"))).toEqual([true]);
		client.destroy();
	});

	it("a sign-in code is worthless without the verifier the client kept", async () => {
		const navigations = navigationRecorder();
		const client = createTetherClient({
			baseUrl: tether.baseUrl,
			storage: memoryStorage(),
			redirect: navigations.redirect,
		});
		await client.signInWithRedirect({
			provider: "upstream",
			redirectTo: appUrl,
		});
		const landed = await createBrowser(tether).follow(
			navigations.seen[0] ?? "",
			{ account: "bea" },
		);
		const stolen = await api(tether, "POST", "/v1/token/exchange", {
			body: { code: landed.searchParams.get("code") },
		});
		expect(stolen.status).toBe(400);
		client.destroy();
	});

	it("returns nothing for a URL without flow parameters, and throws for error=", async () => {
		const { client } = await signedInClient(tether, "cleo");
		expect(await client.handleRedirectCallback(`${appUrl}?page=2`)).toEqual({
			type: "none",
		});
		await expect(
			client.handleRedirectCallback(`${appUrl}?error=access_denied`),
		).rejects.toMatchObject({
			code: "INVALID_REQUEST",
			details: { reason: "access_denied" },
		});
		client.destroy();
	});

	it("keeps the session in storage: a reloaded client is signed in at once", async () => {
		const storage = memoryStorage();
		const { client, user } = await signedInClient(tether, "dina", { storage });
		client.destroy();
		const reloaded = createTetherClient({ baseUrl: tether.baseUrl, storage });
		expect(reloaded.getSnapshot().status).toBe("loading");
		const again = await reloaded.getUser();
		expect(again?.id).toBe(user.id);
		expect((await again?.listConnectedAccounts())?.[0]?.providerAccountId).toBe(
			"dina",
		);
		reloaded.destroy();
	});

	it("refreshes the session before it expires (the refresh token rotates)", async () => {
		let skew = 0;
		const counter = countingFetch();
		const storage = memoryStorage();
		const { client } = await signedInClient(tether, "edda", {
			storage,
			fetch: counter.fetch,
			now: () => Date.now() + skew,
		});
		const before = await storedField(storage, "refreshToken");
		const user = client.getSnapshot().user;
		expect(await client.getUser()).toBe(user);
		expect(counter.count("POST /v1/token")).toBe(0);

		skew = 15 * 60_000 - 30_000; // 30 s before the JWT expires: inside the 60 s margin
		expect(await user?.listConnectedAccounts()).toHaveLength(1);
		expect(counter.count("POST /v1/token")).toBe(1);
		expect(await storedField(storage, "refreshToken")).not.toBe(before);
		// Same user, same snapshot: a refresh is not a change for the UI.
		expect(client.getSnapshot().user).toBe(user);
		client.destroy();
	});

	it("refreshes on a timer, without a call needing the token", async () => {
		const counter = countingFetch();
		const { client } = await signedInClient(tether, "fern", {
			fetch: counter.fetch,
			// The JWT lives 900 s: a 899.5 s margin puts the refresh half a second away.
			sessionRefreshMarginSeconds: 899.5,
		});
		const started = Date.now();
		while (counter.count("POST /v1/token") === 0 && Date.now() - started < 5000)
			await sleep(50);
		expect(counter.count("POST /v1/token")).toBeGreaterThanOrEqual(1);
		client.destroy();
		expect(client.getSnapshot().status).toBe("signed-in");
	});

	it.each([
		["a storage mutex (no Web Locks)", (): LockTestManager | null => null],
		["the Web Locks API", (): LockTestManager | null => inProcessLocks()],
	] as const)(
		"two tabs sharing storage refresh once, under %s",
		async (_name, makeLocks) => {
			let skew = 0;
			const counter = countingFetch();
			const storage = memoryStorage();
			const locks = makeLocks();
			const { client: tabA } = await signedInClient(tether, "gala", {
				storage,
				fetch: counter.fetch,
				now: () => Date.now() + skew,
				locks,
				autoRefresh: false,
			});
			const tabB = createTetherClient({
				baseUrl: tether.baseUrl,
				storage,
				fetch: counter.fetch,
				now: () => Date.now() + skew,
				locks,
				autoRefresh: false,
			});
			const [userA, userB] = await Promise.all([
				tabA.getUser(),
				tabB.getUser(),
			]);
			expect(userB?.id).toBe(userA?.id);

			skew = 15 * 60_000;
			const results = await Promise.all([
				userA?.listConnectedAccounts(),
				userB?.listConnectedAccounts(),
				userA?.listConnectedAccounts(),
				userB?.listConnectedAccounts(),
			]);
			expect(results.map((r) => r?.length)).toEqual([1, 1, 1, 1]);
			// One rotation: a second one with the same refresh token would revoke the whole session.
			expect(counter.count("POST /v1/token")).toBe(1);
			expect(tabA.getSnapshot().status).toBe("signed-in");
			expect(tabB.getSnapshot().status).toBe("signed-in");
			expect(await userB?.listConnectedAccounts()).toHaveLength(1);
			if (locks !== null) expect(locks.granted).toBeGreaterThanOrEqual(1);
			tabA.destroy();
			tabB.destroy();
		},
	);

	it("signs out: the server ends the session, this tab and tabs sharing storage go signed-out", async () => {
		const storage = memoryStorage();
		const { client: tabA } = await signedInClient(tether, "hana", { storage });
		const tabB = createTetherClient({ baseUrl: tether.baseUrl, storage });
		await tabB.getUser();
		expect(tabB.getSnapshot().status).toBe("signed-in");
		const jwt = (await storedField(storage, "accessToken")) ?? "";

		await tabA.signOut();
		expect(tabA.getSnapshot()).toEqual({ status: "signed-out", user: null });
		expect(await storage.getItem("tether.session")).toBeNull();
		await sleep(10);
		expect(tabB.getSnapshot().status).toBe("signed-out");
		expect((await api(tether, "GET", "/v1/user", { token: jwt })).status).toBe(
			401,
		);
		tabA.destroy();
		tabB.destroy();
	});

	it("a session ended elsewhere signs the client out on its next call", async () => {
		const storage = memoryStorage();
		const { client, user } = await signedInClient(tether, "ines", { storage });
		// Another device ends this session family (same refresh token, other storage).
		const copy = memoryStorage();
		const raw = await storage.getItem("tether.session");
		if (raw === null) throw new Error("no session stored");
		await copy.setItem("tether.session", raw);
		const elsewhere = createTetherClient({
			baseUrl: tether.baseUrl,
			storage: copy,
		});
		await elsewhere.signOut();

		const failure = await user.listConnectedAccounts().then(
			() => null,
			(error: unknown) => error,
		);
		expect(failure).toBeInstanceOf(TetherClientError);
		expect(failure).toMatchObject({ code: "UNAUTHENTICATED", status: 401 });
		expect(client.getSnapshot().status).toBe("signed-out");
		client.destroy();
		elsewhere.destroy();
	});
});
