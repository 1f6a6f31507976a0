/**
 * Where a command writes. Commands take their streams as parameters (never process.stdout
 * directly) so tests can run them in-process and read what they printed.
 */
export type Output = NodeJS.WritableStream;

export function writeLine(out: Output, line = ''): void {
  out.write(`${line}\n`);
}

/**
 * An expected failure (bad input, refused operation): the CLI prints its message as one line and
 * exits 1, without a stack trace even under --verbose, because the message is the whole story.
 */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/**
 * A one-line description of any error. Node's connection errors can arrive as an AggregateError
 * with an empty message (one error per address tried), so fall back to the first inner error and
 * to the error code rather than printing a blank line.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (!error.message && error instanceof AggregateError && error.errors.length > 0) {
    return describeError(error.errors[0]);
  }
  const code = (error as { code?: unknown }).code;
  const message = error.message || (typeof code === 'string' ? code : error.name);
  return message.split('\n').find((line) => line.trim() !== '') ?? message;
}
