import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { hashToken, randomToken } from "../auth/random.ts";

const cookieName = "tether_browser";

/**
 * Ties an OAuth flow to the browser that started it (RFC 9700 §4.7.1): a random, HttpOnly cookie
 * whose hash is stored with the flow. The same cookie serves every flow of that browser, so two
 * tabs can sign in at once. `crossSitePost` is for providers that POST the callback (Apple's
 * form_post), which a SameSite=Lax cookie would not survive.
 */
export function bindBrowser(
	c: Context,
	input: { secure: boolean; crossSitePost: boolean },
): string {
	let value = getCookie(c, cookieName);
	if (value === undefined || !/^[A-Za-z0-9_-]{43}$/.test(value))
		value = randomToken();
	setCookie(c, cookieName, value, {
		httpOnly: true,
		secure: input.secure || input.crossSitePost,
		sameSite: input.crossSitePost ? "None" : "Lax",
		path: "/v1/",
		maxAge: 60 * 60 * 24 * 30,
	});
	return hashToken(value);
}

export function readBrowserBinding(c: Context): string | null {
	const value = getCookie(c, cookieName);
	return value === undefined ? null : hashToken(value);
}

/** Pages that carry codes or states must not be cached or leak through the Referer header. */
export function noStore(c: Context): void {
	for (const [name, value] of noStoreHeaders) c.header(name, value);
}

export const noStoreHeaders: readonly (readonly [string, string])[] = [
	["Cache-Control", "no-store"],
	["Pragma", "no-cache"],
	["Referrer-Policy", "no-referrer"],
];
