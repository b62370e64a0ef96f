export { decrypt, type EnvelopeAad, encrypt, keyIdOf } from "./envelope.ts";
export {
	EnvelopeError,
	type EnvelopeErrorCode,
	envelopeErrorCodes,
} from "./errors.ts";
export {
	createKeyRing,
	generateKey,
	type KeyRing,
	parseKeyList,
} from "./key-ring.ts";
export { type RotateProgress, renderProgress } from "./progress-bar.ts";
export {
	describeMissingKeys,
	findMissingKeys,
	type RotateFailure,
	type RotateKeysInput,
	type RotateSummary,
	rotateKeys,
} from "./rotate.ts";
