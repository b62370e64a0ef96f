import { ProviderUnavailableError, TetherClientError } from "./errors.ts";
import { isRecord } from "./parse.ts";
import type { LinkDriver } from "./user.ts";

/** The parts of a popup window the client reads (`window.open`'s result satisfies it). */
export interface PopupLike {
	readonly closed: boolean;
	/** Throws while the popup is on another origin (the provider); readable once it is back. */
	readonly location: { readonly href: string };
	close(): void;
}

export type OpenPopup = (url: string) => PopupLike | null;
/** Sends the browser to `url` (default `location.assign`). */
export type Redirect = (url: string) => void | Promise<void>;

/** Where a flow ended: `linked=<provider>` or `error=<reason>` on the app's `redirectTo`. */
export type FlowOutcome = { linked: string } | { error: string };

/** The BroadcastChannel a popup's landing page announces its outcome on. */
export const linkChannelName = "tether-link";

export function defaultRedirect(): Redirect {
	return (url) => {
		if (typeof globalThis.location === "undefined")
			throw new TetherClientError(
				"INVALID_REQUEST",
				"No browser location to redirect; pass `redirect` to createTetherClient.",
				{ details: { field: "redirect" } },
			);
		globalThis.location.assign(url);
	};
}

export function defaultOpenPopup(): OpenPopup {
	return (url) =>
		typeof globalThis.open === "function"
			? globalThis.open(url, "tether-link", "popup,width=520,height=700")
			: null;
}

/** The outcome a landing URL carries, if it is a flow's landing (not the provider's page). */
export function outcomeOf(
	href: string,
	redirectTo: string | undefined,
): FlowOutcome | null {
	let url: URL;
	try {
		url = new URL(href);
	} catch {
		return null;
	}
	if (redirectTo !== undefined) {
		const target = new URL(redirectTo);
		if (
			url.origin !== target.origin ||
			!url.pathname.startsWith(target.pathname)
		)
			return null;
	}
	const linked = url.searchParams.get("linked");
	if (linked !== null) return { linked };
	const error = url.searchParams.get("error");
	return error === null ? null : { error };
}

/** The error for a flow that came back with `error=…` (Tether's or the provider's words). */
export function flowError(error: string): TetherClientError {
	if (error === "ACCOUNT_ALREADY_LINKED")
		return new TetherClientError(
			"ACCOUNT_ALREADY_LINKED",
			"That provider account is already linked to another user.",
		);
	if (error === "temporarily_unavailable")
		return new ProviderUnavailableError(
			"The provider did not answer; try again.",
			{ retryAfterSeconds: 30 },
		);
	return new TetherClientError(
		"INVALID_REQUEST",
		`The provider flow ended with "${error}".`,
		{ details: { reason: error } },
	);
}

function toOutcome(value: unknown): FlowOutcome | null {
	if (!isRecord(value)) return null;
	if (typeof value.linked === "string") return { linked: value.linked };
	if (typeof value.error === "string") return { error: value.error };
	return null;
}

/**
 * Tells the window that opened this one how the link flow ended. `handleRedirectCallback`
 * calls it when it runs inside a link popup; the opener may also have read the popup's URL.
 */
export function announceToOpener(outcome: FlowOutcome): void {
	if (typeof BroadcastChannel !== "function") return;
	const channel = new BroadcastChannel(linkChannelName);
	channel.postMessage(outcome);
	channel.close();
}

/**
 * Link flows in a browser. Redirect: navigate and never resolve (the page is leaving). Popup:
 * open the link URL in a popup and resolve when it lands back on `redirectTo` — noticed by
 * polling `popup.location` (readable once the popup is back on the app's origin) or by the
 * landing page's `handleRedirectCallback()` announcing it on a `BroadcastChannel`, whichever
 * comes first. A popup closed before either is a cancellation.
 */
export function createBrowserLinkDriver(input: {
	redirect: Redirect;
	openPopup: OpenPopup;
	pollMs?: number;
	timeoutMs?: number;
}): LinkDriver {
	const pollMs = input.pollMs ?? 250;
	const timeoutMs = input.timeoutMs ?? 10 * 60_000;
	return async (request) => {
		if (request.mode === "redirect") {
			await input.redirect(request.url);
			return new Promise<never>(() => {});
		}
		const popup = input.openPopup(request.url);
		if (popup === null)
			throw new TetherClientError(
				"INVALID_REQUEST",
				"The browser blocked the link popup; call this from a click handler, or use redirect mode.",
				{ details: { reason: "popup_blocked" } },
			);
		const outcome = await new Promise<FlowOutcome>((resolve, reject) => {
			const channel =
				typeof BroadcastChannel === "function"
					? new BroadcastChannel(linkChannelName)
					: null;
			const startedAt = Date.now();
			const finish = (result: FlowOutcome | TetherClientError) => {
				clearInterval(poll);
				channel?.close();
				try {
					popup.close();
				} catch {
					// Already gone.
				}
				if (result instanceof TetherClientError) reject(result);
				else resolve(result);
			};
			const readPopup = (): FlowOutcome | null => {
				try {
					return outcomeOf(popup.location.href, request.redirectTo);
				} catch {
					return null; // Still on the provider's (or Tether's) origin.
				}
			};
			const poll = setInterval(() => {
				const landed = readPopup();
				if (landed !== null) return finish(landed);
				if (popup.closed)
					return finish(
						new TetherClientError(
							"INVALID_REQUEST",
							"The link popup was closed before linking finished.",
							{ details: { reason: "popup_closed" } },
						),
					);
				if (Date.now() - startedAt > timeoutMs)
					finish(
						new TetherClientError(
							"INVALID_REQUEST",
							"Linking did not finish in time.",
							{ details: { reason: "popup_timeout" } },
						),
					);
			}, pollMs);
			if (channel !== null)
				channel.onmessage = (event: MessageEvent) => {
					const announced = toOutcome(event.data);
					if (announced !== null) finish(announced);
				};
		});
		if ("error" in outcome) throw flowError(outcome.error);
	};
}
