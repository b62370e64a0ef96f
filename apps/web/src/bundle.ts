import { build } from "esbuild";

export interface BundleInput {
	/** Absolute path of the entry module (`.tsx`). */
	entry: string;
	/** Development: inline sourcemaps, readable output; production: minified. */
	development: boolean;
}

/**
 * Bundles one page's script with esbuild's JS API, in memory. There is no build step to forget:
 * the first request for a page pays for it (a few hundred milliseconds), later ones are served
 * from the cache. A failed build is not cached, so fixing the file and reloading is enough.
 */
export function createBundler() {
	const cache = new Map<string, Promise<string>>();

	async function bundle({ entry, development }: BundleInput): Promise<string> {
		const result = await build({
			entryPoints: [entry],
			bundle: true,
			write: false,
			format: "esm",
			platform: "browser",
			target: "es2022",
			jsx: "automatic",
			minify: !development,
			sourcemap: development ? "inline" : false,
			legalComments: "none",
			logLevel: "silent",
			define: {
				"process.env.NODE_ENV": JSON.stringify(
					development ? "development" : "production",
				),
			},
		});
		const file = result.outputFiles[0];
		if (file === undefined)
			throw new Error(`esbuild wrote nothing for ${entry}`);
		return file.text;
	}

	return {
		get(input: BundleInput): Promise<string> {
			const key = `${input.entry}:${input.development}`;
			let pending = cache.get(key);
			if (pending === undefined) {
				pending = bundle(input);
				cache.set(key, pending);
				pending.catch(() => cache.delete(key));
			}
			return pending;
		},
	};
}
