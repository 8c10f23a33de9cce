package dev.sparring.data;

import dev.sparring.UserError;

/**
 * A dataset could not be opened or read. The message names the file (or the --data value) and what is wrong with
 * it, and where it helps, what to do.
 */
public class DataException extends UserError {
    public DataException(String message) { super(message); }

    public DataException(String message, Throwable cause) { super(message, cause); }
}
