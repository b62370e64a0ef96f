import { createTetherClient } from "@tether/client";
import { createRoot } from "react-dom/client";
import { Demo } from "./demo.tsx";
import { TetherProvider } from "./hooks.ts";

// Tether serves this page itself, so the API is on this origin.
const client = createTetherClient({ baseUrl: location.origin });

async function start(): Promise<void> {
	let flowError: string | null = null;
	let flowNotice: string | null = null;
	try {
		// Back from the provider: exchanges the one-time `code` (or notes a finished link).
		const result = await client.handleRedirectCallback();
		if (result.type === "linked")
			flowNotice = `Linked: the account at "${result.provider}" now carries what you approved.`;
	} catch (error) {
		flowError = error instanceof Error ? error.message : String(error);
	}
	await client.getUser();
	const root = document.getElementById("root");
	if (root === null) return;
	createRoot(root).render(
		<TetherProvider client={client}>
			<Demo flowError={flowError} flowNotice={flowNotice} />
		</TetherProvider>,
	);
}

void start();
