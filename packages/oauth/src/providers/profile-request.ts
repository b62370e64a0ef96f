import type { HttpOutcome } from "../http.ts";
import { buildUserinfoRequest } from "../userinfo.ts";

export interface ProfileRequestInput {
	/** `entry.profile.url`, `entry.profile.emails.url`, or the config's `userinfoEndpoint`. */
	url: string;
	accessToken: string;
	/** `entry.profile.method`; default `GET`. */
	method?: "GET" | "POST";
	/** `entry.profile.headers` (GitHub's API version, Notion's `Notion-Version`). */
	headers?: Readonly<Record<string, string>>;
}

/**
 * The request for a catalog profile (or emails) call: the userinfo request of OIDC Core §5.3.1
 * with the entry's method and headers. Pure; send it with `sendRequest` and read the answer
 * with `processUserinfoResponse`, then `entry.profile.read`.
 */
export function buildProfileRequest(input: ProfileRequestInput): Request {
	const base = buildUserinfoRequest({
		endpoints: { userinfoEndpoint: input.url },
		accessToken: input.accessToken,
	});
	const headers = new Headers(base.headers);
	for (const [name, value] of Object.entries(input.headers ?? {})) {
		headers.set(name, value);
	}
	// Bearer tokens never ride in a redirect we did not ask for, as in the userinfo step.
	return new Request(base.url, {
		method: input.method ?? "GET",
		headers,
		redirect: "manual",
	});
}

/**
 * The JSON of a 200 answer, whatever its shape, or undefined. For `profile.emails`, whose
 * answer may be an array (GitHub's `/user/emails`), which `processUserinfoResponse` refuses.
 */
export function readJsonAnswer(outcome: HttpOutcome): unknown {
	if (!outcome.ok || outcome.response.status !== 200) return undefined;
	try {
		return JSON.parse(outcome.response.body);
	} catch {
		return undefined;
	}
}
