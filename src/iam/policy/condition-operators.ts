/**
 * The names of IAM's condition operators ("IAM JSON policy elements: Condition operators") and
 * what each one means: which comparison, whether it is negated, the `…IfExists` suffix, and the
 * `ForAnyValue:` / `ForAllValues:` set qualifiers.
 */
export type OperatorKind =
  | 'string'
  | 'stringIgnoreCase'
  | 'stringLike'
  | 'numeric'
  | 'date'
  | 'bool'
  | 'binary'
  | 'ip'
  | 'arn'
  | 'null';

export type Comparison = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

export interface OperatorSpec {
  /** The operator as written in the policy. */
  name: string;
  kind: OperatorKind;
  compare: Comparison;
  /**
   * StringNotEquals, StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals,
   * ArnNotLike: true when the request value matches none of the policy values (multiple policy
   * values are a NOR), and true when the key is missing.
   */
  negated: boolean;
  /** `…IfExists`: a missing key makes the condition true. */
  ifExists: boolean;
  /** `ForAnyValue:` / `ForAllValues:` for multivalued keys. */
  set: 'any' | 'all' | undefined;
  /** Whether policy variables are substituted in this operator's values (String… and Arn… only). */
  variables: boolean;
}

type Base = [OperatorKind, Comparison, boolean];

const BASE: Record<string, Base> = {
  StringEquals: ['string', 'eq', false],
  StringNotEquals: ['string', 'eq', true],
  StringEqualsIgnoreCase: ['stringIgnoreCase', 'eq', false],
  StringNotEqualsIgnoreCase: ['stringIgnoreCase', 'eq', true],
  StringLike: ['stringLike', 'eq', false],
  StringNotLike: ['stringLike', 'eq', true],
  NumericEquals: ['numeric', 'eq', false],
  NumericNotEquals: ['numeric', 'eq', true],
  NumericLessThan: ['numeric', 'lt', false],
  NumericLessThanEquals: ['numeric', 'lte', false],
  NumericGreaterThan: ['numeric', 'gt', false],
  NumericGreaterThanEquals: ['numeric', 'gte', false],
  DateEquals: ['date', 'eq', false],
  DateNotEquals: ['date', 'eq', true],
  DateLessThan: ['date', 'lt', false],
  DateLessThanEquals: ['date', 'lte', false],
  DateGreaterThan: ['date', 'gt', false],
  DateGreaterThanEquals: ['date', 'gte', false],
  Bool: ['bool', 'eq', false],
  BinaryEquals: ['binary', 'eq', false],
  IpAddress: ['ip', 'eq', false],
  NotIpAddress: ['ip', 'eq', true],
  // IAM documents ArnEquals and ArnLike as the same comparison: both accept wildcards per field.
  ArnEquals: ['arn', 'eq', false],
  ArnLike: ['arn', 'eq', false],
  ArnNotEquals: ['arn', 'eq', true],
  ArnNotLike: ['arn', 'eq', true],
  Null: ['null', 'eq', false],
};

const BY_LOWER = new Map(Object.entries(BASE).map(([k, v]) => [k.toLowerCase(), v] as const));

/** The operator's meaning, or undefined when IAM would refuse the name ("Invalid Condition type"). */
export function parseOperator(name: string): OperatorSpec | undefined {
  let rest = name;
  let set: OperatorSpec['set'];
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const qualifier = rest.slice(0, colon).toLowerCase();
    if (qualifier === 'foranyvalue') set = 'any';
    else if (qualifier === 'forallvalues') set = 'all';
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.toLowerCase().endsWith('ifexists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const base = BY_LOWER.get(rest.toLowerCase());
  if (!base) return undefined;
  const [kind, compare, negated] = base;
  // Null tests presence itself: IAM refuses NullIfExists and a set qualifier on Null.
  if (kind === 'null' && (ifExists || set)) return undefined;
  return {
    name,
    kind,
    compare,
    negated,
    ifExists,
    set,
    variables: kind === 'string' || kind === 'stringIgnoreCase' || kind === 'stringLike' || kind === 'arn',
  };
}
