import type {
	AdminAccount,
	AdminForceRefreshResult,
	AdminPage,
	AdminUserDetail,
	AdminUserSummary,
} from "@tether/api";
import { useState } from "react";
import { ScopeList } from "../scope-list.tsx";
import { adminFetch, errorText } from "./admin-api.ts";
import { dateTime, relativeTime } from "./format.ts";
import { ListTable, Pager } from "./list-table.tsx";
import { useAdmin } from "./use-admin.ts";

function accountPath(account: AdminAccount): string {
	return `/v1/admin/accounts/${encodeURIComponent(account.provider)}/${encodeURIComponent(account.providerAccountId)}`;
}

function StatusBadge({ account }: { account: AdminAccount }) {
	if (account.status === "active")
		return <span className="badge ok">active</span>;
	return <span className="badge bad">reauth required</span>;
}

function AccountsTable({
	accounts,
	onChanged,
}: {
	accounts: AdminAccount[];
	onChanged: () => void;
}) {
	const [message, setMessage] = useState<{ text: string; ok: boolean } | null>(
		null,
	);
	const [busy, setBusy] = useState(false);

	async function act(
		account: AdminAccount,
		action: "refresh" | "unlink",
	): Promise<void> {
		const name = `${account.provider}/${account.providerAccountId}`;
		if (
			action === "unlink" &&
			!window.confirm(
				`Unlink ${name}? Tether deletes its tokens and revokes them at the provider.`,
			)
		)
			return;
		setBusy(true);
		try {
			if (action === "refresh") {
				const result = await adminFetch<AdminForceRefreshResult>(
					`${accountPath(account)}/refresh`,
					{ method: "POST" },
				);
				setMessage({
					ok: true,
					text: result.refreshed
						? `Refreshed ${name}: the new token expires ${relativeTime(result.account.accessTokenExpiresAt)}.`
						: `Not refreshed ${name}: the provider's backoff or circuit held it back.`,
				});
			} else {
				await adminFetch(accountPath(account), { method: "DELETE" });
				setMessage({ ok: true, text: `Unlinked ${name}.` });
			}
			onChanged();
		} catch (error) {
			setMessage({ ok: false, text: errorText(error) });
		} finally {
			setBusy(false);
		}
	}

	return (
		<>
			<p
				role="status"
				aria-live="polite"
				className={message === null ? "" : message.ok ? "success" : "error"}
			>
				{message?.text ?? ""}
			</p>
			{accounts.length === 0 ? (
				<p className="muted">No connected accounts.</p>
			) : (
				<div className="table-wrap">
					<table>
						<caption className="visually-hidden">Connected accounts</caption>
						<thead>
							<tr>
								<th scope="col">Account</th>
								<th scope="col">Status</th>
								<th scope="col">Scopes</th>
								<th scope="col">Token expiry</th>
								<th scope="col">Last refresh</th>
								<th scope="col">Last use</th>
								<th scope="col">Actions</th>
							</tr>
						</thead>
						<tbody>
							{accounts.map((account) => {
								const name = `${account.provider}/${account.providerAccountId}`;
								return (
									<tr key={name}>
										<th scope="row">
											<code>{name}</code>
											{account.email !== null && (
												<div className="muted">{account.email}</div>
											)}
										</th>
										<td>
											<StatusBadge account={account} />
											{account.lastRefreshError !== null && (
												<div className="error">
													{account.lastRefreshError.kind ?? "failed"}:{" "}
													{account.lastRefreshError.error ?? ""}
												</div>
											)}
										</td>
										<td>
											<ScopeList scopes={account.scopes} />
										</td>
										<td title={dateTime(account.accessTokenExpiresAt)}>
											{relativeTime(account.accessTokenExpiresAt)}
											<div className="muted">
												{account.hasRefreshToken
													? "refresh token held"
													: "no refresh token"}
											</div>
										</td>
										<td title={dateTime(account.lastRefreshAt)}>
											{relativeTime(account.lastRefreshAt)}
										</td>
										<td title={dateTime(account.lastUsedAt)}>
											{relativeTime(account.lastUsedAt)}
										</td>
										<td>
											<div className="actions" style={{ margin: 0 }}>
												<button
													type="button"
													className="secondary"
													disabled={busy}
													onClick={() => void act(account, "refresh")}
													aria-label={`Force refresh ${name}`}
												>
													Force refresh
												</button>
												<button
													type="button"
													className="danger"
													disabled={busy}
													onClick={() => void act(account, "unlink")}
													aria-label={`Unlink ${name}`}
												>
													Unlink
												</button>
											</div>
										</td>
									</tr>
								);
							})}
						</tbody>
					</table>
				</div>
			)}
		</>
	);
}

function UserDetail({
	userId,
	onBack,
}: {
	userId: string;
	onBack: () => void;
}) {
	const { result, reload } = useAdmin<AdminUserDetail>(
		`/v1/admin/users/${encodeURIComponent(userId)}`,
	);
	return (
		<section className="card" aria-labelledby="user-heading">
			<div className="actions">
				<button type="button" className="secondary" onClick={onBack}>
					← All users
				</button>
				<button type="button" className="secondary" onClick={reload}>
					Reload
				</button>
			</div>
			{result.state === "loading" && <p>Loading…</p>}
			{result.state === "error" && (
				<p className="error" role="alert">
					{result.message}
				</p>
			)}
			{result.state === "ok" && (
				<>
					<h2 id="user-heading">
						{result.data.user.displayName ??
							result.data.user.email ??
							result.data.user.id}
					</h2>
					<dl className="facts">
						<dt>User id</dt>
						<dd>
							<code>{result.data.user.id}</code>
						</dd>
						<dt>Email</dt>
						<dd>{result.data.user.email ?? "—"}</dd>
						<dt>External id</dt>
						<dd>{result.data.user.externalId ?? "—"}</dd>
						<dt>Created</dt>
						<dd>{dateTime(result.data.user.createdAt)}</dd>
					</dl>
					<h3>Connected accounts</h3>
					<AccountsTable accounts={result.data.accounts} onChanged={reload} />
				</>
			)}
		</section>
	);
}

export function UsersView() {
	const [query, setQuery] = useState("");
	const [submitted, setSubmitted] = useState("");
	const [after, setAfter] = useState<string[]>([]);
	const [selected, setSelected] = useState<string | null>(null);
	const cursor = after.at(-1);
	const params = new URLSearchParams({ limit: "50" });
	if (submitted !== "") params.set("query", submitted);
	if (cursor !== undefined) params.set("after", cursor);
	const { result, reload } = useAdmin<AdminPage<AdminUserSummary>>(
		selected === null ? `/v1/admin/users?${params}` : null,
	);

	if (selected !== null)
		return <UserDetail userId={selected} onBack={() => setSelected(null)} />;

	return (
		<section className="card" aria-labelledby="users-heading">
			<h2 id="users-heading">Users</h2>
			<p className="explain">
				Newest first. Search by user id, external id, email, or a provider
				account id; open a user to see their connected accounts and act on them.
			</p>
			<form
				className="inline"
				onSubmit={(event) => {
					event.preventDefault();
					setAfter([]);
					setSubmitted(query.trim());
				}}
			>
				<div className="field">
					<label htmlFor="user-query">Find a user</label>
					<input
						id="user-query"
						type="search"
						value={query}
						onChange={(event) => setQuery(event.target.value)}
						placeholder="ada-lovelace"
					/>
				</div>
				<button type="submit">Search</button>
				<button type="button" className="secondary" onClick={reload}>
					Reload
				</button>
			</form>
			<ListTable
				result={result}
				caption="Users"
				columns={["User", "Email", "Accounts", "Created"]}
				empty={<>No users yet. Sign in on the demo page first.</>}
				row={(user) => (
					<tr key={user.id}>
						<th scope="row">
							<button
								type="button"
								className="secondary"
								onClick={() => setSelected(user.id)}
							>
								{user.displayName ?? user.id}
							</button>
							<div className="muted mono">{user.id}</div>
						</th>
						<td>{user.email ?? "—"}</td>
						<td>{user.accountCount}</td>
						<td>{dateTime(user.createdAt)}</td>
					</tr>
				)}
			/>
			<Pager
				trail={after}
				setTrail={setAfter}
				nextCursor={result.state === "ok" ? result.data.nextCursor : null}
				back="Previous page"
				forward="Next page"
			/>
		</section>
	);
}
