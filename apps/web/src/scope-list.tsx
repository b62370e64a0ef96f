/** Scopes as separate chips, so a long one never breaks in the middle. */
export function ScopeList({ scopes }: { scopes: readonly string[] }) {
	if (scopes.length === 0) return <span className="muted">none</span>;
	return (
		<span className="scopes">
			{scopes.map((scope) => (
				<code key={scope}>{scope}</code>
			))}
		</span>
	);
}
