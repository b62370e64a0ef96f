import type { AdminAuditEvent, AdminPage } from "@tether/api";
import { useState } from "react";
import { dateTime } from "./format.ts";
import { ListTable, Pager } from "./list-table.tsx";
import { useAdmin } from "./use-admin.ts";

const kinds = [
	"token.read",
	"token.refresh",
	"token.refresh_failed",
	"account.linked",
	"account.unlinked",
	"account.reauth_required",
	"account.refresh_forced",
	"revocation.done",
	"revocation.failed",
	"webhook.replayed",
];

function kindClass(kind: string): string {
	if (kind.endsWith("failed") || kind === "account.reauth_required")
		return "badge bad";
	if (kind === "token.refresh" || kind === "account.linked") return "badge ok";
	return "badge";
}

export function AuditView() {
	const [kind, setKind] = useState("");
	const [provider, setProvider] = useState("");
	const [before, setBefore] = useState<string[]>([]);
	const cursor = before.at(-1);
	const params = new URLSearchParams({ limit: "50" });
	if (kind !== "") params.set("kind", kind);
	if (provider.trim() !== "") params.set("provider", provider.trim());
	if (cursor !== undefined) params.set("before", cursor);
	const { result, reload } = useAdmin<AdminPage<AdminAuditEvent>>(
		`/v1/admin/audit?${params}`,
	);

	return (
		<section className="card" aria-labelledby="audit-heading">
			<h2 id="audit-heading">Audit log</h2>
			<p className="explain">
				Newest first: token reads (repeated reads of one account within 10 s are
				one row with a count), refreshes and their failures, links, unlinks,
				revocations and admin actions. Never a token.
			</p>
			<form className="inline" onSubmit={(event) => event.preventDefault()}>
				<div className="field">
					<label htmlFor="audit-kind">Kind</label>
					<select
						id="audit-kind"
						value={kind}
						onChange={(event) => {
							setBefore([]);
							setKind(event.target.value);
						}}
					>
						<option value="">All kinds</option>
						{kinds.map((k) => (
							<option key={k} value={k}>
								{k}
							</option>
						))}
					</select>
				</div>
				<div className="field">
					<label htmlFor="audit-provider">Provider</label>
					<input
						id="audit-provider"
						type="text"
						value={provider}
						onChange={(event) => {
							setBefore([]);
							setProvider(event.target.value);
						}}
						placeholder="any"
					/>
				</div>
				<button type="button" className="secondary" onClick={reload}>
					Reload
				</button>
			</form>
			<ListTable
				result={result}
				caption="Audit log entries"
				columns={["When", "What", "Account", "User", "Reason", "Count"]}
				empty={<>Nothing recorded yet.</>}
				row={(event) => (
					<tr key={event.id}>
						<td>{dateTime(event.at)}</td>
						<td>
							<span className={kindClass(event.kind)}>{event.kind}</span>
						</td>
						<td>
							<code>
								{event.provider ?? "—"}
								{event.providerAccountId === null
									? ""
									: `/${event.providerAccountId}`}
							</code>
						</td>
						<td className="mono">{event.userId ?? "—"}</td>
						<td>{event.reason ?? "—"}</td>
						<td>{event.count}</td>
					</tr>
				)}
			/>
			<Pager
				trail={before}
				setTrail={setBefore}
				nextCursor={result.state === "ok" ? result.data.nextCursor : null}
				back="Newer"
				forward="Older"
			/>
		</section>
	);
}
