/** Cache keys: everything of one user starts with `<kind>:<userId>:`, so it can be refreshed together. */
export const accountsKey = (userId: string) => `accounts:${userId}:`;

export const accountKey = (
	userId: string,
	provider: string,
	providerAccountId: string,
) =>
	`${userId}:${encodeURIComponent(provider)}:${encodeURIComponent(providerAccountId)}`;
