/**
 * Which calls the trail records, in the spirit of CloudTrail's event selectors: management events
 * by ReadWriteType (`WriteOnly` by default, `ReadOnly`, `All`, or none), and data events for
 * Lambda functions (`AWS::Lambda::Function`: Invoke) when asked for. Denied calls are recorded
 * whatever the selector says: a denial is what an auditor looks for first.
 */
export interface AuditSelector {
  readWriteType: 'WriteOnly' | 'ReadOnly' | 'All' | 'None';
  lambdaDataEvents: boolean;
}

export const DEFAULT_AUDIT_SELECTOR: AuditSelector = { readWriteType: 'WriteOnly', lambdaDataEvents: false };

/**
 * `FLINT_AUDIT_EVENTS`: comma-separated words. `write` (default), `read`, `all` or `none` choose the
 * management events (CloudTrail's WriteOnly / ReadOnly / All / IncludeManagementEvents=false);
 * `data` (or `AWS::Lambda::Function`) adds Lambda's data events. Example: `all,data`.
 */
export function parseAuditSelector(text: string | undefined): AuditSelector {
  const selector = { ...DEFAULT_AUDIT_SELECTOR };
  if (text === undefined || text.trim() === '') return selector;
  for (const raw of text.split(',')) {
    const word = raw.trim();
    switch (word.toLowerCase()) {
      case 'write': case 'writeonly': selector.readWriteType = 'WriteOnly'; break;
      case 'read': case 'readonly': selector.readWriteType = 'ReadOnly'; break;
      case 'all': selector.readWriteType = 'All'; break;
      case 'none': selector.readWriteType = 'None'; break;
      case 'data': case 'aws::lambda::function': selector.lambdaDataEvents = true; break;
      default:
        throw new Error(`FLINT_AUDIT_EVENTS: unknown word '${word}' (use write, read, all or none for management events, and data for Lambda Invoke; e.g. all,data)`);
    }
  }
  return selector;
}

/** Whether the selector takes an event of this category and read/write kind (denials aside). */
export function selects(s: AuditSelector, category: 'Management' | 'Data', readOnly: boolean): boolean {
  if (category === 'Data') return s.lambdaDataEvents;
  switch (s.readWriteType) {
    case 'All': return true;
    case 'WriteOnly': return !readOnly;
    case 'ReadOnly': return readOnly;
    case 'None': return false;
  }
}
