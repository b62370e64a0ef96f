import { describe, expect, it } from "vitest";
import {
	catalog,
	catalogTypes,
	getCatalogEntry,
	isCatalogType,
} from "./index.ts";
import type { CatalogEntry } from "./types.ts";

const expectedTypes = [
	"google",
	"github",
	"microsoft",
	"gitlab",
	"discord",
	"slack",
	"spotify",
	"twitch",
	"linkedin",
	"bitbucket",
	"x",
	"notion",
	"dropbox",
	"zoom",
	"facebook",
	"apple",
	"oidc",
	"oauth2",
];

// The generic entries take every endpoint from the provider config (or its discovery).
const configDriven = new Set(["oidc", "oauth2"]);

// Parameters the authorization step owns; an entry must not be able to replace them.
const protocolParams = [
	"response_type",
	"client_id",
	"redirect_uri",
	"scope",
	"state",
	"code_challenge",
	"code_challenge_method",
	"nonce",
];

function expectHttps(value: string, what: string): void {
	const url = new URL(value);
	expect(url.protocol, what).toBe("https:");
	expect(url.username + url.password, what).toBe("");
}

const entries: [string, CatalogEntry][] = catalogTypes.map((type) => [
	type,
	catalog[type],
]);

describe("catalog lookup", () => {
	it("lists every type once, in catalog order, each keyed by its own type", () => {
		expect([...catalogTypes]).toEqual(expectedTypes);
		for (const type of catalogTypes) expect(catalog[type].type).toBe(type);
	});

	it("finds entries by type and nothing inherited", () => {
		expect(getCatalogEntry("github")).toBe(catalog.github);
		for (const type of [
			"nope",
			"toString",
			"__proto__",
			"constructor",
			"hasOwnProperty",
			"",
		]) {
			expect(getCatalogEntry(type)).toBeUndefined();
			expect(isCatalogType(type)).toBe(false);
		}
	});

	it("is frozen", () => {
		expect(Object.isFrozen(catalog)).toBe(true);
	});
});

describe.each(entries)("catalog entry %s is well-formed", (type, entry) => {
	it("names itself and uses https endpoints", () => {
		expect(entry.displayName.trim()).not.toBe("");
		for (const [name, value] of Object.entries(entry.endpoints)) {
			if (typeof value === "string")
				expectHttps(value, `${type}.endpoints.${name}`);
		}
		if (entry.issuer !== undefined) {
			expectHttps(entry.issuer, `${type}.issuer`);
			if (entry.endpoints.issuer !== undefined)
				expect(entry.endpoints.issuer).toBe(entry.issuer);
		}
		if (entry.issuerTemplate !== undefined) {
			expect(entry.issuerTemplate).toContain("{tenantid}");
			expectHttps(
				entry.issuerTemplate.replace("{tenantid}", "t"),
				`${type}.issuerTemplate`,
			);
		}
		if (configDriven.has(type)) {
			expect(entry.endpoints).toEqual({});
		} else {
			expect(entry.endpoints.authorizationEndpoint).toBeDefined();
			expect(entry.endpoints.tokenEndpoint).toBeDefined();
		}
	});

	it("has a valid scope setup", () => {
		expect([" ", ","]).toContain(entry.scopeSeparator);
		for (const scope of [
			...entry.defaultScopes,
			...(entry.offlineAccess.scopes ?? []),
		]) {
			expect(scope).toMatch(/^[^\s,]+$/);
		}
		for (const param of Object.keys({
			...entry.offlineAccess.params,
			...entry.offlineAccess.paramsWhenNoRefreshToken,
			...entry.incrementalConsentParams,
			...entry.authorizationParams,
		})) {
			expect(protocolParams, `${type} sets ${param}`).not.toContain(param);
		}
		if (entry.scopeParam !== undefined)
			expect(protocolParams).not.toContain(entry.scopeParam);
	});

	it("sets PKCE and a confidential client authentication", () => {
		expect(typeof entry.pkce).toBe("boolean");
		expect(["client_secret_basic", "client_secret_post"]).toContain(
			entry.clientAuth,
		);
		if (entry.clientSecretJwt)
			expect(entry.clientAuth).toBe("client_secret_post");
	});

	it("knows where identity comes from", () => {
		if (entry.protocol === "oidc") {
			const issuerKnown =
				entry.issuer !== undefined ||
				entry.issuerTemplate !== undefined ||
				configDriven.has(type);
			expect(issuerKnown).toBe(true);
			if (!configDriven.has(type))
				expect(entry.endpoints.jwksUri).toBeDefined();
		} else {
			expect(entry.profile).toBeDefined();
		}
	});

	it("reads no profile from a body without an id", () => {
		const { profile } = entry;
		if (profile === undefined) return;
		if (type === "oauth2") expect(profile.url).toBe("");
		else expectHttps(profile.url, `${type}.profile.url`);
		for (const body of [
			{},
			{ email: "a@example.test", name: "A", email_verified: true },
			{ id: null, sub: "" },
		]) {
			expect(profile.read(body)).toBeNull();
		}
		if (profile.emails !== undefined) {
			expectHttps(profile.emails.url, `${type}.profile.emails.url`);
			for (const body of [
				undefined,
				null,
				{},
				[],
				[{ email: "a@example.test" }],
				"x",
			]) {
				expect(profile.emails.read(body)).toBeNull();
			}
		}
	});

	it("describes revocation consistently", () => {
		const { revocation } = entry;
		if (revocation.method === "rfc7009") {
			if (!configDriven.has(type))
				expect(entry.endpoints.revocationEndpoint).toBeDefined();
		} else {
			expect(entry.endpoints.revocationEndpoint).toBeUndefined();
		}
		if (revocation.method === "custom") {
			expect(revocation.okStatuses.length).toBeGreaterThan(0);
			for (const status of revocation.okStatuses) {
				expect(status).toBeGreaterThanOrEqual(200);
				expect(status).toBeLessThan(300);
			}
			const request = revocation.build({
				token: "t",
				clientId: "c",
				clientSecret: "s",
			});
			expectHttps(request.url, `${type} revocation`);
			expect(["POST", "DELETE"]).toContain(request.method);
			expect(request.redirect).toBe("manual");
		}
	});
});
