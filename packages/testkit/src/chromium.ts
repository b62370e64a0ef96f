import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/**
 * Where browser tests save their screenshots: the docs' folder when `TETHER_SCREENSHOTS=1`
 * (`npm run screenshots`, to refresh the pictures the docs show), else a temporary folder, so an
 * ordinary test run takes them too but leaves the working tree alone.
 */
export function screenshotsDir(docsFolder: string): string {
	if (process.env.TETHER_SCREENSHOTS === "1") {
		mkdirSync(docsFolder, { recursive: true });
		return docsFolder;
	}
	return mkdtempSync(join(tmpdir(), "tether-screenshots-"));
}
