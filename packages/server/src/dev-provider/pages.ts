import { describeScope } from "./scopes.ts";

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
	return value
		.replaceAll("&", "&amp;")
		.replaceAll("<", "&lt;")
		.replaceAll(">", "&gt;")
		.replaceAll('"', "&quot;")
		.replaceAll("'", "&#39;");
}

// Body text #1f2937 on white is 14.7:1, the primary button's white on #1d4ed8 is 6.7:1 and the
// muted text #4b5563 is 7.6:1: all above WCAG AA (4.5:1), most above AAA (7:1).
const styles = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;background:#f3f4f6}
main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d1d5db;border-radius:.5rem}
h1{font-size:1.375rem;margin:0 0 .75rem}
p{margin:0 0 1rem}
.badge{display:inline-block;margin-bottom:1rem;padding:.125rem .5rem;border-radius:999px;background:#fef3c7;color:#78350f;font-size:.8125rem;font-weight:600}
.hint{color:#4b5563;font-size:.9375rem}
.error{color:#991b1b;font-weight:600}
label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=text]{width:100%;padding:.5rem .625rem;font:inherit;color:inherit;border:1px solid #6b7280;border-radius:.375rem}
input[aria-invalid=true]{border-color:#991b1b}
fieldset{border:0;margin:0 0 1rem;padding:0}
legend{font-weight:600;margin-bottom:.5rem;padding:0}
.scope{display:flex;gap:.625rem;align-items:flex-start;padding:.375rem 0;font-weight:400}
.scope input{width:1.125rem;height:1.125rem;margin:.1875rem 0 0;flex:none}
.scope code{color:#4b5563;font-size:.8125rem}
.actions{display:flex;gap:.75rem;margin-top:1.25rem}
button{font:inherit;font-weight:600;padding:.5rem 1.125rem;border-radius:.375rem;border:2px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1f2937;border-color:#6b7280}
:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
`;

function layout(title: string, body: string): string {
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Tether development provider</title>
<style>${styles}</style>
</head>
<body>
<main>
<span class="badge">Development provider: not for production</span>
${body}
</main>
</body>
</html>
`;
}

export function loginPage(input: {
	action: string;
	/** Prefilled: the name signed in last in this browser, or the request's `login_hint`. */
	name?: string;
	error?: string;
}): string {
	const error =
		input.error === undefined
			? ""
			: `<p class="error" id="name-error" role="alert">${escapeHtml(input.error)}</p>`;
	const described =
		input.error === undefined ? "name-hint" : "name-error name-hint";
	return layout(
		"Sign in",
		`<h1>Sign in</h1>
<p>Any name works: there are no passwords here. Each name is its own account.</p>
<form method="post" action="${escapeHtml(input.action)}">
${error}<label for="name">Your name</label>
<input type="text" id="name" name="name" value="${escapeHtml(input.name ?? "")}" required maxlength="100" autocomplete="username" autofocus aria-describedby="${described}"${input.error === undefined ? "" : ' aria-invalid="true"'}>
<p class="hint" id="name-hint">"Ada Lovelace" signs in as <code>ada-lovelace</code>, email <code>ada-lovelace@dev.tether.local</code>.</p>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`,
	);
}

export function consentPage(input: {
	action: string;
	accountId: string;
	clientId: string;
	scopes: readonly string[];
}): string {
	const items = input.scopes
		.map((scope, index) => {
			const { label, fixed } = describeScope(scope);
			const id = `scope-${index}`;
			const value = escapeHtml(scope);
			// A disabled box is not submitted, so a fixed scope travels in a hidden field.
			const box = fixed
				? `<input type="checkbox" id="${id}" checked disabled><input type="hidden" name="scope" value="${value}">`
				: `<input type="checkbox" id="${id}" name="scope" value="${value}" checked>`;
			return `<label class="scope" for="${id}">${box}<span>${escapeHtml(label)}${fixed ? " (always shared)" : ""}<br><code>${value}</code></span></label>`;
		})
		.join("\n");
	return layout(
		"Allow access",
		`<h1>Allow access?</h1>
<p>Signed in as <strong>${escapeHtml(input.accountId)}</strong>. The app <strong>${escapeHtml(input.clientId)}</strong> asks to:</p>
<form method="post" action="${escapeHtml(input.action)}">
<fieldset>
<legend>Untick what you do not want to share</legend>
${items}
</fieldset>
<div class="actions">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`,
	);
}

export function errorPage(input: { title: string; message: string }): string {
	return layout(
		input.title,
		`<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(input.message)}</p>
<p class="hint">Go back to the app and start signing in again.</p>`,
	);
}
