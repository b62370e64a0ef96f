import type { ReactConnectedAccount } from "@tether/react";
import { useEffect, useRef, useState } from "react";
import { ScopeList } from "../scope-list.tsx";

/** Re-renders every second, for the countdown. */
function useNow(): number {
	const [now, setNow] = useState(() => Date.now());
	useEffect(() => {
		const timer = setInterval(() => setNow(Date.now()), 1000);
		return () => clearInterval(timer);
	}, []);
	return now;
}

function shorten(token: string): string {
	return token.length <= 24
		? token
		: `${token.slice(0, 12)}…${token.slice(-8)}`;
}

/** Step: the account's access token, its countdown, and the provider's userinfo called with it. */
export function TokenPanel({ account }: { account: ReactConnectedAccount }) {
	// Suspends for the first token, then re-renders with each new one before the old expires.
	const result = account.useAccessToken();
	const now = useNow();
	const seen = useRef<string[]>([]);
	const [userinfo, setUserinfo] = useState<{
		status: number;
		body: string;
	} | null>(null);

	const token = result.status === "ok" ? result.data : null;
	if (token !== null && !seen.current.includes(token.accessToken))
		seen.current = [...seen.current, token.accessToken];
	const refreshes = Math.max(0, seen.current.length - 1);
	const secondsLeft =
		token === null || token.expiresAt === null
			? null
			: Math.max(0, Math.round((Date.parse(token.expiresAt) - now) / 1000));

	async function callUserinfo(accessToken: string): Promise<void> {
		// The development provider's userinfo endpoint (its discovery document's
		// `userinfo_endpoint`), on this same origin.
		const response = await fetch("/dev-oidc/me", {
			headers: { authorization: `Bearer ${accessToken}` },
		});
		const text = await response.text();
		let body = text;
		try {
			body = JSON.stringify(JSON.parse(text), null, 2);
		} catch {
			// Not JSON: show it as it came.
		}
		setUserinfo({ status: response.status, body });
	}

	return (
		<section className="card" aria-labelledby="token-heading">
			<h2 id="token-heading">
				<span className="step">3</span>Here is your access token
			</h2>
			<p className="explain">
				<code>account.getAccessToken()</code> asks Tether for a provider token.
				The development provider's tokens live 60 seconds; Tether refreshes them
				about 20 seconds before they expire, so the countdown jumps back up on
				its own.
			</p>
			{result.status === "error" && (
				<p className="error" role="alert">
					No token: {result.error.reason}. {result.error.message}
				</p>
			)}
			{token !== null && (
				<>
					<dl className="facts">
						<dt>Access token</dt>
						<dd>
							<code
								className="token"
								data-testid="access-token"
								title={token.accessToken}
							>
								{shorten(token.accessToken)}
							</code>
						</dd>
						<dt>Scopes</dt>
						<dd>
							<ScopeList scopes={token.scopes} />
						</dd>
						<dt>Expires in</dt>
						<dd>
							<span className="countdown" data-testid="countdown">
								{secondsLeft === null ? "never" : `${secondsLeft} s`}
							</span>
						</dd>
						<dt>Refreshed</dt>
						<dd aria-live="polite" data-testid="refresh-count">
							{refreshes === 0
								? "not yet (watch the countdown)"
								: `${refreshes} time${refreshes === 1 ? "" : "s"} while you watched`}
						</dd>
					</dl>
					<h3>
						<span className="step">4</span>Use it
					</h3>
					<p className="explain">
						Call the provider's API with the token, as your app would: here the
						development provider's userinfo endpoint,{" "}
						<code>GET /dev-oidc/me</code>.
					</p>
					<div className="actions">
						<button
							type="button"
							onClick={() => void callUserinfo(token.accessToken)}
						>
							Call userinfo with this token
						</button>
					</div>
					{userinfo !== null && (
						<div aria-live="polite">
							<p className={userinfo.status === 200 ? "success" : "error"}>
								HTTP {userinfo.status}
							</p>
							<pre className="json" data-testid="userinfo">
								{userinfo.body}
							</pre>
						</div>
					)}
				</>
			)}
		</section>
	);
}
