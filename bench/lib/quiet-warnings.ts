/**
 * The SDK warns once per process that future releases need Node 22; the bench's output is a
 * table, so that one warning is dropped (every other warning still prints).
 */
const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const name = typeof warning === 'object' ? warning.name : typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (name === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  emit(warning, ...rest);
}) as typeof process.emitWarning;
