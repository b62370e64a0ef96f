import type {
	AccessTokenData,
	OAuthAccessTokenNotAvailable,
	Result,
} from "@tether/client";
import type { ReactConnectedAccount, ReactTetherUser } from "@tether/react";
import { useState } from "react";

const extraScope = "read:files";

/** Step: ask for a scope the account lacks, see why not, and link more. */
export function ScopesPanel({
	user,
	account,
}: {
	user: ReactTetherUser;
	account: ReactConnectedAccount;
}) {
	const [attempt, setAttempt] = useState<{
		scopes: string[];
		result: Result<AccessTokenData, OAuthAccessTokenNotAvailable>;
	} | null>(null);
	const [error, setError] = useState<string | null>(null);

	async function ask(scopes: string[]): Promise<void> {
		setError(null);
		try {
			setAttempt({ scopes, result: await account.getAccessToken({ scopes }) });
		} catch (failure) {
			setError(failure instanceof Error ? failure.message : String(failure));
		}
	}

	async function linkMore(): Promise<void> {
		try {
			// Redirect mode: the page leaves for the provider and comes back here.
			await user.getOrLinkConnectedAccount(account.provider, {
				scopes: [extraScope],
				redirectTo: `${location.origin}/`,
			});
		} catch (failure) {
			setError(failure instanceof Error ? failure.message : String(failure));
		}
	}

	const has = account.scopes.includes(extraScope);
	return (
		<section className="card" aria-labelledby="scopes-heading">
			<h2 id="scopes-heading">
				<span className="step">5</span>Ask for more than you were given
			</h2>
			<p className="explain">
				Ask for a token that must carry a scope. Without it, Tether answers
				"insufficient scopes" and names what is missing;{" "}
				<code>getOrLinkConnectedAccount</code> then asks the provider for it.
			</p>
			<div className="actions">
				<button
					type="button"
					className="secondary"
					onClick={() => void ask([])}
				>
					Token without extra scopes
				</button>
				<button
					type="button"
					className="secondary"
					onClick={() => void ask([extraScope])}
				>
					Token with <code>{extraScope}</code>
				</button>
			</div>
			<div aria-live="polite" data-testid="scope-result">
				{error !== null && (
					<p className="error" role="alert">
						{error}
					</p>
				)}
				{attempt?.result.status === "ok" && (
					<p className="success">
						Got a token
						{attempt.scopes.length > 0
							? ` carrying ${attempt.scopes.join(" ")}`
							: ""}
						: <code>{attempt.result.data.scopes.join(" ")}</code>
					</p>
				)}
				{attempt?.result.status === "error" && (
					<>
						<p className="error">
							No token: {attempt.result.error.reason.replaceAll("_", " ")}
							{attempt.result.error.missingScopes.length > 0 &&
								` (missing ${attempt.result.error.missingScopes.join(", ")})`}
							.
						</p>
						<p className="explain">
							Link more: the provider's consent page asks for{" "}
							<code>{extraScope}</code> on top of what this account has, and
							Tether upgrades the same account.
						</p>
						<div className="actions">
							<button type="button" onClick={() => void linkMore()}>
								Link more: grant {extraScope}
							</button>
						</div>
					</>
				)}
				{attempt === null && has && (
					<p className="muted">
						This account already has <code>{extraScope}</code>.
					</p>
				)}
			</div>
		</section>
	);
}
