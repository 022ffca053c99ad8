/** The packaging API shared by `flint deploy`, `flint dev` and the SAM template deploy. */
export { packageFolder, type PackageOptions, type PackagedFunction } from './package-folder.js';
export { PackagingError } from './packaging-error.js';
export { DEFAULT_IGNORES, TEST_IGNORES, IgnoreRules } from './ignore-rules.js';
export { runtimeFamily } from './runtime-inference.js';
export type { PackagedFile } from './folder-walk.js';
