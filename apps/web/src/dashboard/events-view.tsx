import type { AdminEvent, AdminPage } from "@tether/api";
import { useState } from "react";
import { adminFetch, errorText } from "./admin-api.ts";
import { dateTime } from "./format.ts";
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
			{result.state === "loading" && <p>Loading…</p>}
			{result.state === "error" && (
				<p className="error" role="alert">
					{result.message}
				</p>
			)}
			{result.state === "ok" && result.data.items.length === 0 && (
				<p className="muted">
					No webhook events. Configure <code>webhooks</code> in the config file
					to have Tether tell your backend about links, unlinks and reauth.
				</p>
			)}
			{result.state === "ok" && result.data.items.length > 0 && (
				<div className="table-wrap">
					<table>
						<caption className="visually-hidden">Webhook events</caption>
						<thead>
							<tr>
								<th scope="col">Event</th>
								<th scope="col">Created</th>
								<th scope="col">Delivered</th>
								<th scope="col">Attempts</th>
								<th scope="col">Last error</th>
								<th scope="col">Action</th>
							</tr>
						</thead>
						<tbody>
							{result.data.items.map((event) => (
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
							))}
						</tbody>
					</table>
				</div>
			)}
		</section>
	);
}
