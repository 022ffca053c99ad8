/**
 * A template Flint cannot deploy: bad YAML, a missing parameter, an unknown intrinsic, a resource
 * it does not understand where one is required. The CLI prints the one-line message and exits 2
 * (a usage error: nothing was changed), as opposed to an API failure during apply (exit 1).
 */
export class TemplateError extends Error {
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}
