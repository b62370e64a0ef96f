import type ProviderClass from "oidc-provider";

// oidc-provider prints "oidc-provider WARNING/NOTICE: …" through console.warn/info. Two of them
// cannot be configured away: the runtime check at import (it wants Node 22; we run Node 20,
// which works) and the note about the development memory adapter, which testkit uses on
// purpose. Everything else is avoided by configuration, so only these moments are filtered.
function isProviderNotice(args: unknown[]): boolean {
	const first = args[0];
	return (
		typeof first === "string" &&
		(first.includes("oidc-provider WARNING:") ||
			first.includes("oidc-provider NOTICE:"))
	);
}

/** Runs `work` with oidc-provider's own console notices filtered out, then restores the console. */
export async function withoutProviderNotices<T>(
	work: () => T | Promise<T>,
): Promise<T> {
	const { warn, info } = console;
	console.warn = (...args: unknown[]) => {
		if (!isProviderNotice(args)) warn.apply(console, args);
	};
	console.info = (...args: unknown[]) => {
		if (!isProviderNotice(args)) info.apply(console, args);
	};
	try {
		return await work();
	} finally {
		console.warn = warn;
		console.info = info;
	}
}

let loading: Promise<typeof ProviderClass> | undefined;

/** Imports oidc-provider once, quietly. */
export function loadProvider(): Promise<typeof ProviderClass> {
	loading ??= withoutProviderNotices(async () => {
		const module = await import("oidc-provider");
		return module.default;
	});
	return loading;
}
