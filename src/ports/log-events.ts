/**
 * One event appended to a log stream, by a function's output or by PutLogEvents. CloudWatch hands
 * the same events to its subscribers (metric filters, Embedded Metric Format extraction, Live Tail);
 * Flint's consumers of function logs subscribe here rather than reading the files back.
 */
export interface LogEventRecord {
  /** `/aws/lambda/<function>` unless the function's LoggingConfig names another group. */
  logGroupName: string;
  logStreamName: string;
  /** Epoch ms. */
  timestamp: number;
  message: string;
}

export interface LogEventFeed {
  /** Called synchronously for every appended event, in append order; returns the unsubscribe. */
  subscribe(listener: (event: LogEventRecord) => void): () => void;
}
