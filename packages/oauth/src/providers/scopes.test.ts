import { describe, expect, it } from "vitest";
import { facebook } from "./facebook.ts";
import { github } from "./github.ts";
import { google } from "./google.ts";
import { microsoft } from "./microsoft.ts";
import { missingScopes, normalizeScopes } from "./scopes.ts";
import { slack } from "./slack.ts";
import type { CatalogEntry } from "./types.ts";

const plain: Pick<CatalogEntry, "scopeSeparator" | "offlineAccess"> = {
	scopeSeparator: " ",
	offlineAccess: {},
};
const EMAIL = "https://www.googleapis.com/auth/userinfo.email";

describe("normalizeScopes", () => {
	it("splits one string by the separator, trims, drops empties and duplicates in order", () => {
		expect(normalizeScopes(plain, "  repo   gist repo\tread:user ")).toEqual([
			"repo",
			"gist",
			"read:user",
		]);
		expect(normalizeScopes(plain, "")).toEqual([]);
		expect(normalizeScopes(plain, [" repo ", "", "gist", "repo"])).toEqual([
			"repo",
			"gist",
		]);
	});

	it("splits on commas only for comma providers", () => {
		expect(normalizeScopes(facebook, "email, public_profile,,email")).toEqual([
			"email",
			"public_profile",
		]);
		expect(normalizeScopes(slack, "chat:write,users:read")).toEqual([
			"chat:write",
			"users:read",
		]);
		// RFC 6749 scope tokens may contain a comma, so a space provider keeps it.
		expect(normalizeScopes(plain, "a,b c")).toEqual(["a,b", "c"]);
	});

	it("applies the entry's canonical form before removing duplicates", () => {
		expect(normalizeScopes(google, `openid ${EMAIL} email`)).toEqual([
			"openid",
			EMAIL,
		]);
		expect(
			normalizeScopes(microsoft, [
				"User.Read",
				"https://graph.microsoft.com/user.read",
			]),
		).toEqual(["user.read"]);
	});

	it("never maps a scope to an inherited property", () => {
		expect(normalizeScopes(google, "constructor toString")).toEqual([
			"constructor",
			"toString",
		]);
	});
});

describe("missingScopes", () => {
	it("compares Google's short and long names", () => {
		expect(
			missingScopes(google, `openid ${EMAIL}`, ["email", "openid"]),
		).toEqual([]);
		expect(missingScopes(google, "openid", ["email", EMAIL, "openid"])).toEqual(
			["email"],
		);
	});

	it("returns the caller's spelling, first one kept, in request order", () => {
		expect(
			missingScopes(microsoft, "openid", [
				"Mail.Read",
				"MAIL.READ",
				"Files.Read",
			]),
		).toEqual(["Mail.Read", "Files.Read"]);
		expect(
			missingScopes(facebook, "email", "user_friends, email,user_posts"),
		).toEqual(["user_friends", "user_posts"]);
	});

	it("treats everything as missing when nothing was granted", () => {
		expect(missingScopes(plain, "", ["a", "b"])).toEqual(["a", "b"]);
		expect(missingScopes(plain, [], "a")).toEqual(["a"]);
		expect(missingScopes(plain, "a", [])).toEqual([]);
	});

	it("never reports offline-access scopes as missing", () => {
		expect(
			missingScopes(microsoft, "openid User.Read", [
				"offline_access",
				"User.Read",
			]),
		).toEqual([]);
	});

	it("counts scopes a wider grant includes, transitively", () => {
		expect(
			missingScopes(github, "repo user", [
				"public_repo",
				"user:email",
				"read:org",
			]),
		).toEqual(["read:org"]);
		expect(
			missingScopes(github, "admin:org", ["read:org", "write:org"]),
		).toEqual([]);
		expect(missingScopes(github, "public_repo", ["repo"])).toEqual(["repo"]);
	});
});
