// How a command fails: one line on stderr and an exit status. Bad command lines exit 2, anything the
// hub refused or could not do exits 1, an interrupted command 130.
import { HubError } from '@switchboard/client/node';

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The command line itself is wrong (unknown command or flag, a bad value); exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** The command whose help to point to, when it is not the one being run (e.g. a bad subcommand). */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** A failure the command has already put in words (not found, ambiguous name, unreachable hub); exit 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** The command was interrupted (SIGINT/SIGTERM) before it finished; exit 130. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor() {
    super('interrupted');
  }
}

/** The stderr line (without "switchboard: ") and exit status for anything a command threw. */
export function describeError(err: unknown, command: string | null): { line: string; exit: number } {
  if (err instanceof UsageError) {
    const topic = err.command ?? command;
    return { line: `${err.message} (see switchboard ${topic ? `${topic} ` : ''}--help)`, exit: EXIT.usage };
  }
  if (err instanceof Interrupted) return { line: err.message, exit: EXIT.interrupted };
  if (err instanceof CliError) return { line: err.message, exit: EXIT.failed };
  // The hub's messages name what failed (a conflict says the stored version), so they are kept whole.
  if (err instanceof HubError) return { line: `${err.code}: ${oneLine(err.message)}`, exit: EXIT.failed };
  return { line: oneLine(err instanceof Error ? err.message : String(err)), exit: EXIT.failed };
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
