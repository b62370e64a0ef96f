import type { CatalogEntry } from "./types.ts";

type ScopeRules = Pick<
	CatalogEntry,
	"scopeSeparator" | "normalizeScope" | "scopeImplies" | "offlineAccess"
>;

/** Scopes as one provider string (`"repo gist"`) or a list. */
export type ScopeInput = string | readonly string[];

// Scope tokens cannot contain whitespace (RFC 6749 §3.3), so whitespace always separates (which
// also trims); a comma separates only for providers that use it, as RFC scope tokens may hold one.
function splitScopes(separator: " " | ",", scopes: ScopeInput): string[] {
	const pattern = separator === "," ? /[\s,]+/ : /\s+/;
	const items = typeof scopes === "string" ? [scopes] : scopes;
	return items
		.flatMap((item) => item.split(pattern))
		.filter((scope) => scope !== "");
}

function canonical(entry: ScopeRules, scope: string): string {
	return entry.normalizeScope ? entry.normalizeScope(scope) : scope;
}

/**
 * The canonical form of a scope list, for storing and comparing: a single string is split by
 * the entry's separator, items are trimmed, empty ones dropped, `normalizeScope` applied, and
 * duplicates removed, keeping the first occurrence's position.
 */
export function normalizeScopes(
	entry: ScopeRules,
	scopes: ScopeInput,
): string[] {
	const seen = new Set<string>();
	for (const scope of splitScopes(entry.scopeSeparator, scopes)) {
		seen.add(canonical(entry, scope));
	}
	return [...seen];
}

// The granted scopes plus everything they include, followed transitively (admin:org → write:org
// → read:org).
function coveredScopes(entry: ScopeRules, granted: ScopeInput): Set<string> {
	const covered = new Set(normalizeScopes(entry, granted));
	const implies = new Map<string, string[]>();
	for (const [wide, narrower] of Object.entries(entry.scopeImplies ?? {})) {
		implies.set(
			canonical(entry, wide),
			narrower.map((scope) => canonical(entry, scope)),
		);
	}
	const pending = [...covered];
	for (let scope = pending.pop(); scope !== undefined; scope = pending.pop()) {
		for (const narrower of implies.get(scope) ?? []) {
			if (!covered.has(narrower)) {
				covered.add(narrower);
				pending.push(narrower);
			}
		}
	}
	return covered;
}

/**
 * The requested scopes that the granted ones do not cover, compared in canonical form and
 * returned in the caller's own spelling, first spelling kept, in request order. The entry's
 * offline-access scopes never count as missing: they ask for a refresh token rather than
 * naming an API permission, and providers such as Microsoft never echo `offline_access` back.
 */
export function missingScopes(
	entry: ScopeRules,
	granted: ScopeInput,
	requested: ScopeInput,
): string[] {
	const covered = coveredScopes(entry, granted);
	for (const scope of entry.offlineAccess.scopes ?? []) {
		covered.add(canonical(entry, scope));
	}
	const missing = new Map<string, string>();
	for (const scope of splitScopes(entry.scopeSeparator, requested)) {
		const key = canonical(entry, scope);
		if (!covered.has(key) && !missing.has(key)) missing.set(key, scope);
	}
	return [...missing.values()];
}
