import { useEffect, useState } from "react";
import {
	AdminApiError,
	adminFetch,
	errorText,
	storedSecret,
	storeSecret,
} from "./admin-api.ts";
import { AuditView } from "./audit-view.tsx";
import { EventsView } from "./events-view.tsx";
import { ProvidersView } from "./providers-view.tsx";
import { UsersView } from "./users-view.tsx";

const views = {
	providers: { label: "Providers", render: () => <ProvidersView /> },
	users: { label: "Users", render: () => <UsersView /> },
	audit: { label: "Audit log", render: () => <AuditView /> },
	webhooks: { label: "Webhooks", render: () => <EventsView /> },
} as const;
type View = keyof typeof views;

function isView(value: string): value is View {
	return Object.hasOwn(views, value);
}

/** The view in the address bar (`#users`), so reloads, links and Back work. */
function useHashView(): View {
	const read = (): View => {
		const name = location.hash.replace(/^#\/?/, "");
		return isView(name) ? name : "providers";
	};
	const [view, setView] = useState<View>(read);
	useEffect(() => {
		const onChange = () => setView(read());
		window.addEventListener("hashchange", onChange);
		return () => window.removeEventListener("hashchange", onChange);
	}, []);
	return view;
}

type Access =
	| { state: "checking" }
	| { state: "granted" }
	| { state: "needs-secret"; reason: string | null; error: string | null };

/** Asks Tether whether the stored secret (or this machine, in development) may use the admin API. */
async function probe(secret: string | null): Promise<Access> {
	try {
		await adminFetch("/v1/admin/providers", { secret });
		return { state: "granted" };
	} catch (error) {
		if (error instanceof AdminApiError && error.status === 401) {
			const reason =
				typeof error.details.reason === "string" ? error.details.reason : null;
			return {
				state: "needs-secret",
				reason,
				error: secret === null ? null : "That secret was not accepted.",
			};
		}
		return { state: "needs-secret", reason: null, error: errorText(error) };
	}
}

function SecretForm({
	access,
	onGranted,
}: {
	access: Extract<Access, { state: "needs-secret" }>;
	onGranted: () => void;
}) {
	const [secret, setSecret] = useState("");
	const [error, setError] = useState(access.error);
	const [busy, setBusy] = useState(false);
	return (
		<main className="narrow">
			<section className="card" aria-labelledby="secret-heading">
				<h2 id="secret-heading">Operator sign-in</h2>
				<p className="explain">
					{access.reason === "loopback_only"
						? "Without an adminSecret this dashboard answers only on the machine Tether runs on. Open it there, or configure adminSecret and enter it here."
						: access.reason === "no_admin_secret"
							? "The admin API is off: configure adminSecret (or TETHER_ADMIN_SECRET) and restart Tether."
							: "Enter the admin secret from Tether's configuration (adminSecret or TETHER_ADMIN_SECRET). It is kept in this tab only."}
				</p>
				<form
					onSubmit={async (event) => {
						event.preventDefault();
						setBusy(true);
						const next = await probe(secret);
						setBusy(false);
						if (next.state === "granted") {
							storeSecret(secret);
							onGranted();
						} else {
							setError(
								next.state === "needs-secret" ? next.error : "Not accepted.",
							);
						}
					}}
				>
					<div className="field">
						<label htmlFor="admin-secret">Admin secret</label>
						<input
							id="admin-secret"
							type="password"
							autoComplete="current-password"
							required
							value={secret}
							onChange={(event) => setSecret(event.target.value)}
							aria-invalid={error === null ? undefined : true}
							aria-describedby={error === null ? undefined : "secret-error"}
						/>
					</div>
					{error !== null && (
						<p className="error" id="secret-error" role="alert">
							{error}
						</p>
					)}
					<div className="actions">
						<button type="submit" disabled={busy}>
							Open the dashboard
						</button>
					</div>
				</form>
			</section>
		</main>
	);
}

/** The operator's dashboard: providers' health, users and accounts, the audit log, webhooks. */
export function Dashboard() {
	const [access, setAccess] = useState<Access>({ state: "checking" });
	const view = useHashView();
	useEffect(() => {
		void probe(storedSecret()).then(setAccess);
	}, []);

	const signOut = () => {
		storeSecret(null);
		void probe(null).then(setAccess);
	};

	return (
		<>
			<header className="top">
				<h1>Tether dashboard</h1>
				{access.state === "granted" && (
					<nav aria-label="Dashboard sections">
						{Object.entries(views).map(([name, { label }]) => (
							<a
								key={name}
								href={`#${name}`}
								aria-current={view === name ? "page" : undefined}
							>
								{label}
							</a>
						))}
					</nav>
				)}
				{access.state === "granted" && storedSecret() !== null && (
					<button type="button" className="secondary" onClick={signOut}>
						Forget secret
					</button>
				)}
			</header>
			{access.state === "checking" && (
				<main>
					<p>Checking access…</p>
				</main>
			)}
			{access.state === "needs-secret" && (
				<SecretForm
					access={access}
					onGranted={() => setAccess({ state: "granted" })}
				/>
			)}
			{access.state === "granted" && <main>{views[view].render()}</main>}
		</>
	);
}
