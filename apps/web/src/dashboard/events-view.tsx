import type { AdminEvent, AdminPage } from "@tether/api";
import { useState } from "react";
import { adminFetch, errorText } from "./admin-api.ts";
import { dateTime } from "./format.ts";
import { ListTable } from "./list-table.tsx";
import { useAdmin } from "./use-admin.ts";

export function EventsView() {
	const { result, reload } = useAdmin<AdminPage<AdminEvent>>(
		"/v1/admin/events?limit=50",
	);
	const [message, setMessage] = useState<{ text: string; ok: boolean } | null>(
		null,
	);

	async function replay(event: AdminEvent): Promise<void> {
		try {
			await adminFetch<AdminEvent>(
				`/v1/admin/events/${encodeURIComponent(event.id)}/replay`,
				{ method: "POST" },
			);
			setMessage({
				ok: true,
				text: `Event ${event.id} (${event.type}) is due again; it is delivered within a second.`,
			});
			reload();
		} catch (error) {
			setMessage({ ok: false, text: errorText(error) });
		}
	}

	return (
		<section className="card" aria-labelledby="events-heading">
			<h2 id="events-heading">Webhooks</h2>
			<p className="explain">
				Events in the outbox, newest first. Replay makes an event due again with
				a fresh retry budget (for a receiver that was down or lost it).
			</p>
			<div className="actions">
				<button type="button" className="secondary" onClick={reload}>
					Reload
				</button>
			</div>
			<p
				role="status"
				aria-live="polite"
				className={message === null ? "" : message.ok ? "success" : "error"}
			>
				{message?.text ?? ""}
			</p>
			<ListTable
				result={result}
				caption="Webhook events"
				columns={[
					"Event",
					"Created",
					"Delivered",
					"Attempts",
					"Last error",
					"Action",
				]}
				empty={
					<>
						No webhook events. Configure <code>webhooks</code> in the config
						file to have Tether tell your backend about links, unlinks and
						reauth.
					</>
				}
				row={(event) => (
					<tr key={event.id}>
						<th scope="row">
							{event.type}
							<div className="muted mono">{event.id}</div>
						</th>
						<td>{dateTime(event.createdAt)}</td>
						<td>
							{event.deliveredAt === null ? (
								<span className="badge warn">
									next try {dateTime(event.nextAttemptAt)}
								</span>
							) : (
								dateTime(event.deliveredAt)
							)}
						</td>
						<td>{event.attempts}</td>
						<td>{event.lastError ?? "—"}</td>
						<td>
							<button
								type="button"
								className="secondary"
								onClick={() => void replay(event)}
								aria-label={`Replay event ${event.id}`}
							>
								Replay
							</button>
						</td>
					</tr>
				)}
			/>
		</section>
	);
}
