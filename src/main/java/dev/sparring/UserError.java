package dev.sparring;

/**
 * A mistake in what the user gave Sparring: a flag, a file, a dataset, a loss formula, a checkpoint. The command line
 * prints its message as one line, without a stack trace; the message names the flag or file and what was wrong.
 *
 * <p>It sits at the root of the package stack so that every layer (data, io, gan, train) can say "this is the
 * user's input" rather than throwing {@link IllegalArgumentException}, which the command line treats as a bug and
 * reports with its stack trace. Library callers can catch it to show the message to their own users.
 */
public class UserError extends RuntimeException {
    public UserError(String message) { super(message); }

    public UserError(String message, Throwable cause) { super(message, cause); }
}
