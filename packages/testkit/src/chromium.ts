import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, which `.ci/run` installs; no browser is downloaded. */
export const chromiumPath = "/usr/bin/chromium";

export const hasChromium = (): boolean => existsSync(chromiumPath);

/**
 * Headless Chromium for browser tests. Background networking and component updates are off:
 * this machine's closed network refuses their connections, many at a time, on every start.
 */
export function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: chromiumPath,
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
	});
}
