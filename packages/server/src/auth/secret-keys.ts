import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Matches an app backend's secret key in constant time. Keys are compared as SHA-256 digests so
 * every comparison has the same length and no configured key's length leaks through timing.
 */
export function createSecretKeyMatcher(
	keys: string[],
): (presented: string) => boolean {
	const digests = keys.map((key) => createHash("sha256").update(key).digest());
	return (presented) => {
		const digest = createHash("sha256").update(presented).digest();
		let match = false;
		for (const known of digests)
			match = timingSafeEqual(known, digest) || match;
		return match;
	};
}

export const secretKeyPrefix = "tsk_";
