import { startUpstream } from "@tether/testkit";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../config/index.ts";
import { createProviderRegistry } from "./providers.ts";

function registryFor(
	providers: unknown[],
	fetch: (request: Request) => Promise<Response> = () =>
		Promise.reject(new Error("no network in this test")),
) {
	const config = parseConfig({
		mode: "development",
		baseUrl: "http://127.0.0.1:3000",
		database: "sqlite::memory:",
		allowInsecureProviders: true,
		providers,
	});
	return createProviderRegistry({ config, fetch });
}

describe("provider registry", () => {
	it("runs Microsoft's multi-tenant authority without an issuer, checking each token's tenant", () => {
		const microsoft = registryFor([
			{ id: "ms", type: "microsoft", clientId: "app", clientSecret: "s" },
		]).require("ms");
		expect(microsoft.issuer).toBeUndefined();
		expect(microsoft.idTokenIssuer).toEqual({
			template: "https://login.microsoftonline.com/{tenantid}/v2.0",
		});
		const tenant = registryFor([
			{
				id: "ms",
				type: "microsoft",
				clientId: "app",
				clientSecret: "s",
				issuer:
					"https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
			},
		]).require("ms");
		expect(tenant.idTokenIssuer).toBe(tenant.issuer);
	});

	it("refuses an OIDC provider with neither issuer nor template", () => {
		expect(() =>
			registryFor([
				{
					id: "acme",
					type: "oidc",
					clientId: "app",
					authorizationEndpoint: "https://id.acme.test/auth",
					tokenEndpoint: "https://id.acme.test/token",
				},
			]),
		).toThrow(ConfigError);
	});

	it("discovers a self-managed instance's endpoints instead of the catalog's defaults", async () => {
		const upstream = await startUpstream({ redirectUris: [] });
		try {
			const gitlab = registryFor(
				[
					{
						id: "gitlab",
						type: "gitlab",
						clientId: "app",
						issuer: upstream.issuer,
					},
				],
				(request) => fetch(request),
			).require("gitlab");
			const endpoints = await gitlab.endpoints();
			expect(endpoints.tokenEndpoint).toBe(upstream.endpoints.tokenEndpoint);
			expect(endpoints.authorizationEndpoint).toBe(
				upstream.endpoints.authorizationEndpoint,
			);
			expect(endpoints.revocationEndpoint).toBe(
				upstream.endpoints.revocationEndpoint,
			);
			expect(gitlab.idTokenIssuer).toBe(upstream.issuer);
		} finally {
			await upstream.close();
		}
	});
});
