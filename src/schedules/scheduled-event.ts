/**
 * The event EventBridge sends for a scheduled rule's tick, members in AWS's order:
 * {"version":"0","id":…,"detail-type":"Scheduled Event","source":"aws.events","account":…,
 * "time":"2026-01-01T12:00:00Z","region":…,"resources":[<rule ARN>],"detail":{}}.
 * `time` is the scheduled tick (whole seconds, Z), not the moment of delivery.
 */
export function scheduledEvent(a: { id: string; account: string; region: string; tickMs: number; ruleArn: string }): Record<string, unknown> {
  return {
    version: '0',
    id: a.id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: a.account,
    time: new Date(a.tickMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: a.region,
    resources: [a.ruleArn],
    detail: {},
  };
}

/**
 * What a rule target receives: its constant Input verbatim, the part of the event InputPath selects
 * (JSONPath `$`, `$.a.b`, `$.a[0]`; a path that selects nothing sends `null`), or the whole event.
 */
export function selectInput(event: Record<string, unknown>, t: { Input?: string; InputPath?: string }): string {
  if (t.Input !== undefined) return t.Input;
  if (t.InputPath === undefined) return JSON.stringify(event);
  let value: unknown = event;
  const path = t.InputPath.replace(/^\$/, '');
  for (const m of path.matchAll(/\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/g)) {
    const k = m[1] ?? m[3] ?? Number(m[2]);
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[k] : undefined;
  }
  return JSON.stringify(value ?? null);
}
