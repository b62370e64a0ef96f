import { describe, expect, it } from "vitest";
import { spaceJoinedScope, withTokenQuirks } from "./token-quirks.ts";

function answering(response: Response, seen: Request[] = []) {
	return async (request: Request): Promise<Response> => {
		seen.push(request);
		return response;
	};
}

const tokenRequest = () =>
	new Request("https://id.example.test/token", {
		method: "POST",
		headers: {
			accept: "*/*",
			"content-type": "application/x-www-form-urlencoded",
		},
		body: "grant_type=refresh_token&refresh_token=r",
	});

describe("withTokenQuirks", () => {
	it("adds the entry's token headers and keeps the body", async () => {
		const seen: Request[] = [];
		const fetchFn = withTokenQuirks(
			{ tokenHeaders: { accept: "application/json" } },
			answering(new Response("{}"), seen),
		);
		await fetchFn(tokenRequest());
		expect(seen[0]?.headers.get("accept")).toBe("application/json");
		expect(await seen[0]?.text()).toBe(
			"grant_type=refresh_token&refresh_token=r",
		);
	});

	it("rewrites JSON and form bodies through adaptTokenBody, keeping status and headers", async () => {
		const fetchFn = withTokenQuirks(
			{ adaptTokenBody: spaceJoinedScope },
			answering(
				new Response("access_token=a&scope=repo%2Cgist", {
					status: 200,
					headers: {
						"content-type": "application/x-www-form-urlencoded",
						"x-trace": "1",
					},
				}),
			),
		);
		const response = await fetchFn(tokenRequest());
		expect(response.status).toBe(200);
		expect(response.headers.get("x-trace")).toBe("1");
		expect(await response.json()).toEqual({
			access_token: "a",
			scope: "repo gist",
		});
	});

	it("passes unreadable bodies through untouched", async () => {
		const fetchFn = withTokenQuirks(
			{ adaptTokenBody: () => ({ access_token: "forged" }) },
			answering(
				new Response("<html>busy</html>", {
					status: 502,
					headers: { "content-type": "text/html" },
				}),
			),
		);
		const response = await fetchFn(tokenRequest());
		expect(response.status).toBe(502);
		expect(await response.text()).toBe("<html>busy</html>");
	});

	it("returns the provider's response as is without quirks", async () => {
		const original = new Response("{}");
		expect(await withTokenQuirks({}, answering(original))(tokenRequest())).toBe(
			original,
		);
	});
});

describe("spaceJoinedScope", () => {
	it("joins comma scopes with spaces and leaves other bodies alone", () => {
		expect(spaceJoinedScope({ scope: "repo, gist,," })).toEqual({
			scope: "repo gist",
		});
		const body = { scope: "repo gist" };
		expect(spaceJoinedScope(body)).toBe(body);
		expect(spaceJoinedScope({ scope: ["a"] })).toEqual({ scope: ["a"] });
	});
});
