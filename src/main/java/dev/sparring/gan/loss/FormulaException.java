package dev.sparring.gan.loss;

import dev.sparring.UserError;

/**
 * A loss specification that cannot be read: a syntax error in a formula, an unknown name, a bad parameter.
 * The message names the column (1-based, counted in the whole specification) and draws a caret under it:
 * <pre>
 * --loss: column 9: unknown function 'lg' (functions: exp, log, ...)
 *   phi=-exp(t); psi=-lg(t)
 *                     ^
 * </pre>
 */
public final class FormulaException extends UserError {
    private final String source;
    private final int column;
    private final String reason;

    /** @param index 0-based position in {@code source} of the offending character */
    public FormulaException(String source, int index, String reason) {
        super(format(source, index, reason));
        this.source = source;
        this.column = Math.max(0, Math.min(index, source.length())) + 1;
        this.reason = reason;
    }

    /** The whole specification that was being read. */
    public String source() { return source; }

    /** 1-based column of the error in {@link #source()}. */
    public int column() { return column; }

    /** The error without the position and the caret line. */
    public String reason() { return reason; }

    private static String format(String source, int index, String reason) {
        int i = Math.max(0, Math.min(index, source.length()));
        String oneLine = source.replace('\n', ' ').replace('\t', ' ');
        return "--loss: column " + (i + 1) + ": " + reason + "\n  " + oneLine + "\n  " + " ".repeat(i) + "^";
    }
}
