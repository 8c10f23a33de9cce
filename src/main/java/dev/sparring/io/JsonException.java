package dev.sparring.io;

/**
 * A JSON text could not be parsed, or a value could not be written as JSON. For parse errors the message
 * starts with {@code source:line:column:} (1-based, columns count characters) so that an editor can jump to
 * the place; {@link #line()} and {@link #column()} give the same numbers, or 0 for writer errors.
 */
public class JsonException extends RuntimeException {
    private final String source;
    private final int line, column;

    public JsonException(String source, int line, int column, String message) {
        super(source + ":" + line + ":" + column + ": " + message);
        this.source = source;
        this.line = line;
        this.column = column;
    }

    /** A writer error: no position. */
    public JsonException(String message) {
        super(message);
        this.source = null;
        this.line = 0;
        this.column = 0;
    }

    /** The file name (or other label) the text came from, or null for writer errors. */
    public String source() { return source; }

    public int line() { return line; }

    public int column() { return column; }
}
