// What a client command is: its help, its flags, a pure parse of the command line into an input,
// and a run against a joined session.
import type { Hub } from '@switchboard/client/node';
import type { OptionSpec, Parsed } from './args.js';
import type { Output } from './output.js';

export interface RunContext {
  out: Output;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export interface Command<I> {
  /** Usage line(s), what the command does, and its own options; the common options are appended. */
  help: string;
  options: OptionSpec;
  /** Checks the command line (throwing UsageError) before anything connects. */
  parse(parsed: Parsed): I;
  /** Resolves with the exit status (0 when undefined). */
  run(hub: Hub, input: I, ctx: RunContext): Promise<number | void>;
  /** The command treats SIGINT/SIGTERM as its normal end (exit 0) instead of an interruption. */
  runsUntilInterrupted?: boolean;
}

/** Erases a command's input type for the registry; parse and run still agree with each other. */
export function command<I>(definition: Command<I>): Command<unknown> {
  return definition as unknown as Command<unknown>;
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
