/**
 * What the development provider offers, with the words its consent page uses. `openid` is what
 * makes a request OIDC, so the page shows it ticked and fixed; the three demo scopes exist so
 * incremental authorization (asking for more later) has names that read well.
 */
export const developmentScopes = [
	{ scope: "openid", label: "Know who you are", fixed: true },
	{ scope: "email", label: "See your email address", fixed: false },
	{ scope: "profile", label: "See your name", fixed: false },
	{
		scope: "offline_access",
		label: "Stay connected while you are away (refresh tokens)",
		fixed: false,
	},
	{ scope: "read:files", label: "Read your files", fixed: false },
	{ scope: "write:files", label: "Create and change your files", fixed: false },
	{ scope: "calendar", label: "See and edit your calendar", fixed: false },
] as const;

export const developmentScopeNames: string[] = developmentScopes.map(
	(entry) => entry.scope,
);

/** The page's wording for a scope; a scope it does not know is shown by name. */
export function describeScope(scope: string): {
	label: string;
	fixed: boolean;
} {
	const known = developmentScopes.find((entry) => entry.scope === scope);
	return known === undefined
		? { label: scope, fixed: false }
		: { label: known.label, fixed: known.fixed };
}
