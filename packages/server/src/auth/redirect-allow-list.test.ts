import { describe, expect, it } from "vitest";
import { isAllowedRedirect } from "./redirect-allow-list.ts";

const allowList = [
	"https://allowed.test/",
	"https://app.test/callback",
	"http://127.0.0.1:5173/",
];

describe("redirect allow-list", () => {
	it.each([
		"https://allowed.test/",
		"https://allowed.test/after/signin?x=1#y",
		"https://app.test/callback",
		"https://app.test/callback/deeper",
		"https://app.test/callback?next=1",
		"http://127.0.0.1:5173/",
	])("accepts %s", (candidate) => {
		expect(isAllowedRedirect(candidate, allowList)).toBe(true);
	});

	it.each([
		"//evil.test",
		"/\\evil.test",
		"\\\\evil.test",
		"https://allowed.test.evil.test/",
		"https://allowed.test@evil.test/",
		"https://evil.test@allowed.test/",
		"https://allowed.test:443@evil.test/",
		"javascript:alert(1)",
		"JaVaScRiPt:alert(1)",
		"data:text/html,hi",
		"https:/\\evil.test",
		"https://evil.test/https://allowed.test/",
		"https://allowed.test%2F@evil.test/",
		"https://allowed.test%2eevil.test/",
		"https://allowed%2Etest/",
		"https://app.test/callbackevil",
		"https://app.test/",
		"http://allowed.test/",
		"https://allowed.test:8443/",
		" https://allowed.test/",
		"https://allowed.test/\n",
		"https://allowed.test\t/",
		"/relative/path",
		"",
		"http://127.0.0.1:5174/",
	])("refuses %j", (candidate) => {
		expect(isAllowedRedirect(candidate, allowList)).toBe(false);
	});

	it("refuses everything when the allow-list is empty", () => {
		expect(isAllowedRedirect("https://allowed.test/", [])).toBe(false);
	});
});
