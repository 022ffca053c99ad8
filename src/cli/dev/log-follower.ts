import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import type { LambdaClient } from '@aws-sdk/client-lambda';

/**
 * Follows a log group through Flint's CloudWatch Logs API (FilterLogEvents from the last event
 * seen, every `everyMs`), so the terminal shows the logs of every invocation, wherever it came
 * from: the dev loop's own, an SDK's, a function URL's. Same endpoint and credentials as `client`.
 */
export class LogFollower {
  readonly #logs: CloudWatchLogsClient;
  readonly #group: string;
  readonly #print: (message: string) => void;
  readonly #seen = new Set<string>();
  #since: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(client: LambdaClient, group: string, since: number, print: (message: string) => void) {
    const c = client.config;
    this.#logs = new CloudWatchLogsClient({ endpoint: c.endpoint!, region: c.region, credentials: c.credentials, maxAttempts: 1 });
    this.#group = group;
    this.#since = since;
    this.#print = print;
  }

  start(everyMs: number): void {
    const tick = (): void => {
      this.#timer = setTimeout(() => {
        this.#running = this.poll().finally(() => { if (!this.#stopped) tick(); });
      }, everyMs);
    };
    tick();
  }

  /** One round: prints the events since the last one seen, in order. */
  async poll(): Promise<void> {
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.#logs.send(new FilterLogEventsCommand({ logGroupName: this.#group, startTime: this.#since, ...(nextToken ? { nextToken } : {}) }));
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return; // no invocation has written yet
        throw err;
      }
      for (const e of page.events ?? []) {
        if (!e.eventId || this.#seen.has(e.eventId)) continue;
        this.#seen.add(e.eventId);
        if ((e.timestamp ?? 0) > this.#since) {
          // Events at the new start time are kept in `seen`; older ids are not needed any more.
          this.#since = e.timestamp ?? this.#since;
        }
        this.#print((e.message ?? '').replace(/\n$/, ''));
      }
      nextToken = page.nextToken;
    } while (nextToken && !this.#stopped);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
    this.#logs.destroy();
  }
}
