import type { SandboxDriver, SandboxFeatures } from '../ports/sandbox-driver.js';

/** Driver names from strongest isolation to weakest: what `auto` tries, in order. */
export const DRIVER_STRENGTH = ['bwrap', 'process'] as const;

export interface DriverSelection {
  driver: SandboxDriver;
  /** What its sandboxes can do here, as its probe found it. */
  features: SandboxFeatures;
  /** One line for the startup log: the active driver and, where it fell back, why. */
  summary: string;
}

/**
 * Chooses the sandbox driver from `FLINT_SANDBOX`:
 * - `auto` (default): the strongest available driver (bwrap, then process);
 * - a comma-separated list (`bwrap,process`): the first available, in that order;
 * - one name (`bwrap`, `process`): that driver or a startup error, never a silent downgrade.
 * Each factory builds a driver only when it is considered; probes run in order.
 */
export async function selectSandboxDriver(setting: string, factories: Readonly<Record<string, () => SandboxDriver>>): Promise<DriverSelection> {
  const wanted = setting.trim() === '' || setting.trim() === 'auto'
    ? DRIVER_STRENGTH.filter((n) => factories[n])
    : setting.split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) throw new Error(`FLINT_SANDBOX: no driver named in '${setting}'`);
  for (const name of wanted) {
    if (!factories[name]) throw new Error(`FLINT_SANDBOX: unknown sandbox driver '${name}' (known: auto, ${Object.keys(factories).join(', ')})`);
  }
  const skipped: string[] = [];
  for (const name of wanted) {
    const driver = factories[name]!();
    const cap = await driver.probe();
    if (!cap.available) {
      skipped.push(`${name}: ${cap.reason ?? 'unavailable'}`);
      continue;
    }
    const details = [cap.isolated ? 'isolated' : 'NOT isolated: functions run as plain host processes', ...(cap.notes ?? [])];
    const fellBack = skipped.length > 0 ? `; fell back because ${skipped.join('; ')}` : '';
    return { driver, features: cap.features, summary: `flint: sandbox driver ${name} (${details.join('; ')})${fellBack}` };
  }
  throw new Error(`FLINT_SANDBOX=${setting}: no usable sandbox driver (${skipped.join('; ')})`);
}
