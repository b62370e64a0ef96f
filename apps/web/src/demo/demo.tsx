import {
	type ReactConnectedAccount,
	type ReactTetherUser,
	useTetherClient,
	useUser,
} from "@tether/react";
import { Component, type ReactNode, Suspense, useState } from "react";
import { ScopeList } from "../scope-list.tsx";
import { ScopesPanel } from "./scopes-panel.tsx";
import { TokenPanel } from "./token-panel.tsx";

/** The development setup's built-in provider (`npm start` without a config). */
const provider = "dev";
const home = () => `${location.origin}/`;

const keyOf = (account: ReactConnectedAccount) =>
	`${account.provider}/${account.providerAccountId}`;

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

function SignIn() {
	const client = useTetherClient();
	return (
		<section className="card" aria-labelledby="signin-heading">
			<h2 id="signin-heading">
				<span className="step">1</span>Sign in
			</h2>
			<p className="explain">
				Tether sends you to the provider, which asks who you are and what to
				share, then back here signed in. This one is Tether's built-in
				development provider: any name works, no password.
			</p>
			<div className="actions">
				<button
					type="button"
					onClick={() =>
						void client.signInWithRedirect({ provider, redirectTo: home() })
					}
				>
					Sign in with the development provider
				</button>
			</div>
		</section>
	);
}

function AccountsPanel({
	accounts,
	selected,
	onSelect,
}: {
	accounts: ReactConnectedAccount[];
	selected: ReactConnectedAccount | undefined;
	onSelect: (key: string) => void;
}) {
	const [error, setError] = useState<string | null>(null);
	const [notice, setNotice] = useState<string | null>(null);

	async function unlink(account: ReactConnectedAccount): Promise<void> {
		setError(null);
		try {
			await account.unlink();
			setNotice(
				`Unlinked ${keyOf(account)}: Tether deleted its tokens and revoked them at the provider.`,
			);
		} catch (failure) {
			setError(messageOf(failure));
		}
	}

	return (
		<section className="card" aria-labelledby="accounts-heading">
			<h2 id="accounts-heading">
				<span className="step">2</span>Your connected accounts
			</h2>
			<p className="explain">
				Signing in connected your provider account. Tether keeps its tokens
				encrypted and hands your app a fresh access token whenever it asks. Pick
				the account the steps below use; Unlink deletes its tokens in Tether and
				revokes them at the provider.
			</p>
			{accounts.length === 0 ? (
				<p className="muted">No connected accounts left.</p>
			) : (
				<div className="table-wrap">
					<table>
						<caption className="visually-hidden">Connected accounts</caption>
						<thead>
							<tr>
								<th scope="col">Use</th>
								<th scope="col">Provider</th>
								<th scope="col">Account id</th>
								<th scope="col">Scopes</th>
								<th scope="col">Status</th>
								<th scope="col">Unlink</th>
							</tr>
						</thead>
						<tbody>
							{accounts.map((account) => {
								const key = keyOf(account);
								return (
									<tr
										key={key}
										data-testid={`account-${account.providerAccountId}`}
									>
										<td>
											<input
												type="radio"
												name="account"
												id={`use-${key}`}
												checked={
													selected !== undefined && keyOf(selected) === key
												}
												onChange={() => onSelect(key)}
												aria-label={`Use ${account.providerAccountId} below`}
											/>
										</td>
										<td>{account.provider}</td>
										<td>
											<label htmlFor={`use-${key}`}>
												<code>{account.providerAccountId}</code>
											</label>
											{account.email !== undefined && (
												<div className="muted">{account.email}</div>
											)}
										</td>
										<td>
											<ScopeList scopes={account.scopes} />
										</td>
										<td>
											<span
												className={
													account.status === "active" ? "badge ok" : "badge bad"
												}
											>
												{account.status}
											</span>
										</td>
										<td>
											<button
												type="button"
												className="danger"
												onClick={() => void unlink(account)}
												aria-label={`Unlink ${account.providerAccountId}`}
											>
												Unlink
											</button>
										</td>
									</tr>
								);
							})}
						</tbody>
					</table>
				</div>
			)}
			<div aria-live="polite">
				{notice !== null && <p className="success">{notice}</p>}
				{error !== null && (
					<p className="error" role="alert">
						{error}
					</p>
				)}
			</div>
		</section>
	);
}

function LinkAnother({ user }: { user: ReactTetherUser }) {
	const [error, setError] = useState<string | null>(null);

	async function linkAnother(): Promise<void> {
		setError(null);
		try {
			// No account here has `calendar`, so this starts a link flow; signing in under
			// another name there links a second account at the same provider.
			await user.getOrLinkConnectedAccount(provider, {
				scopes: ["calendar"],
				redirectTo: home(),
			});
		} catch (failure) {
			setError(messageOf(failure));
		}
	}

	return (
		<section className="card" aria-labelledby="link-heading">
			<h2 id="link-heading">
				<span className="step">6</span>Link a second account
			</h2>
			<p className="explain">
				A user may connect several accounts at one provider. This asks for the{" "}
				<code>calendar</code> scope, which none of your accounts has, so{" "}
				<code>getOrLinkConnectedAccount</code> starts a link flow: on the
				sign-in page, type another name (say, Grace Hopper) to add a second
				account, then unlink it in step 2.
			</p>
			<div className="actions">
				<button
					type="button"
					className="secondary"
					onClick={() => void linkAnother()}
				>
					Link another account
				</button>
			</div>
			{error !== null && (
				<p className="error" role="alert">
					{error}
				</p>
			)}
		</section>
	);
}

/** Shows what a hook threw (Tether unreachable, say) where the part that failed would be. */
class Failed extends Component<{ children: ReactNode }, { error: unknown }> {
	override state: { error: unknown } = { error: null };
	static getDerivedStateFromError(error: unknown) {
		return { error };
	}
	override render() {
		if (this.state.error !== null)
			return (
				<p className="error" role="alert">
					{messageOf(this.state.error)}
				</p>
			);
		return this.props.children;
	}
}

function Accounts({ user }: { user: ReactTetherUser }) {
	// Suspends until the list is loaded; re-renders after a link or an unlink.
	const accounts = user.useConnectedAccounts();
	const [selectedKey, setSelectedKey] = useState<string | null>(null);
	const selected =
		accounts.find((account) => keyOf(account) === selectedKey) ?? accounts[0];
	return (
		<>
			<AccountsPanel
				accounts={accounts}
				selected={selected}
				onSelect={setSelectedKey}
			/>
			{selected !== undefined && (
				<>
					<Failed key={`token-${keyOf(selected)}`}>
						<Suspense fallback={<p>Getting a token…</p>}>
							<TokenPanel account={selected} />
						</Suspense>
					</Failed>
					<ScopesPanel
						key={`scopes-${keyOf(selected)}`}
						user={user}
						account={selected}
					/>
				</>
			)}
			<LinkAnother user={user} />
		</>
	);
}

function SignedIn({ user }: { user: ReactTetherUser }) {
	const client = useTetherClient();
	return (
		<>
			<section className="card" aria-labelledby="user-heading">
				<h2 id="user-heading">
					<span className="step">✓</span>Signed in as{" "}
					{user.displayName ?? user.email ?? user.id}
				</h2>
				<p className="explain">
					Your Tether session lives in this browser and refreshes itself.
					Tether's user id: <code>{user.id}</code>
				</p>
				<div className="actions">
					<button
						type="button"
						className="secondary"
						onClick={() => void client.signOut()}
					>
						Sign out
					</button>
				</div>
			</section>
			<Failed>
				<Suspense fallback={<p>Loading your accounts…</p>}>
					<Accounts user={user} />
				</Suspense>
			</Failed>
		</>
	);
}

/** Signed in or not: `useUser()` suspends while the stored session is read. */
function Who() {
	const user = useUser();
	return user === null ? <SignIn /> : <SignedIn user={user} />;
}

/** The demo: from nothing to "here is your access token", one explained step at a time. */
export function Demo({
	flowError,
	flowNotice,
}: {
	flowError: string | null;
	flowNotice: string | null;
}) {
	return (
		<>
			<header className="top">
				<h1>Tether demo</h1>
				<nav aria-label="Pages">
					<a href="/" aria-current="page">
						Demo
					</a>
					<a href="/dashboard">Dashboard</a>
				</nav>
			</header>
			<main className="narrow">
				<p className="explain">
					Tether keeps your users' provider tokens and hands your app a fresh
					access token in one call. This page is an app built with Tether's
					React SDK; follow the steps.
				</p>
				{flowNotice !== null && (
					<p className="success" role="status">
						{flowNotice}
					</p>
				)}
				{flowError !== null && (
					<p className="error" role="alert">
						{flowError}
					</p>
				)}
				<Failed>
					<Suspense fallback={<p>Loading…</p>}>
						<Who />
					</Suspense>
				</Failed>
			</main>
		</>
	);
}
