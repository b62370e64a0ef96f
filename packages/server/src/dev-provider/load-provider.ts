type OidcProviderModule = typeof import("oidc-provider");

// oidc-provider prints "oidc-provider WARNING/NOTICE: …" through console.warn/info. The one
// configuration cannot avoid is the runtime check at import (it wants Node 22; Node 20 works),
// so that moment and the constructor run with those lines filtered. Everything else the
// notices ask for (keys, cookie keys, an adapter, interactions) is configured.
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

let loading: Promise<OidcProviderModule> | undefined;

/** Imports oidc-provider once, quietly, and only when the development provider is on. */
export function loadOidcProvider(): Promise<OidcProviderModule> {
	loading ??= withoutProviderNotices(() => import("oidc-provider"));
	return loading;
}
