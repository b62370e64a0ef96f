import type { Account } from "oidc-provider";

/** The domain of every development account's email address; never a real mailbox. */
export const developmentEmailDomain = "dev.tether.local";

const maxAccountIdLength = 40;

/**
 * Turns whatever was typed into an account id: lowercase ASCII letters, digits, `.`, `_` and
 * `-` ("Zoë O'Brien" becomes `zoe-o-brien`). Undefined when nothing usable is left.
 */
export function normaliseAccountId(typed: string): string | undefined {
	const id = typed
		.normalize("NFKD")
		.replace(/[\u0300-\u036f]/g, "")
		.toLowerCase()
		.replace(/[^a-z0-9._-]+/g, "-")
		.replace(/^[-._]+|[-._]+$/g, "")
		.slice(0, maxAccountIdLength)
		.replace(/[-._]+$/, "");
	return id === "" ? undefined : id;
}

/** "ada-lovelace" → "Ada Lovelace": the `name` claim, derived so nothing else need be stored. */
function displayName(accountId: string): string {
	return accountId
		.split(/[-._]+/)
		.filter((part) => part !== "")
		.map((part) => part.charAt(0).toUpperCase() + part.slice(1))
		.join(" ");
}

/** Any id is an account: it exists as soon as someone signs in with it. */
export function developmentAccount(accountId: string): Account {
	return {
		accountId,
		claims: () => ({
			sub: accountId,
			email: `${accountId}@${developmentEmailDomain}`,
			email_verified: true,
			name: displayName(accountId),
			preferred_username: accountId,
		}),
	};
}
