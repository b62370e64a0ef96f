import { createTetherClient } from "@tether/client";
import { TetherProvider } from "@tether/react";
import { createRoot } from "react-dom/client";
import { Demo } from "./demo.tsx";

// Tether serves this page itself, so the API is on this origin.
const client = createTetherClient({ baseUrl: location.origin });

async function start(): Promise<void> {
	let flowError: string | null = null;
	let flowNotice: string | null = null;
	try {
		// Back from the provider: exchanges the one-time `code` (or notes a finished link).
		// A finished link is redeemed here, with this browser's session: only the user who asked
		// for the link can attach the account (the README of @tether/client says why).
		const result = await client.handleRedirectCallback();
		if (result.type === "linked")
			flowNotice = `Linked: the account at "${result.provider}" now carries what you approved.`;
	} catch (error) {
		flowError = error instanceof Error ? error.message : String(error);
	}
	const root = document.getElementById("root");
	if (root === null) return;
	createRoot(root).render(
		<TetherProvider client={client}>
			<Demo flowError={flowError} flowNotice={flowNotice} />
		</TetherProvider>,
	);
}

void start();
