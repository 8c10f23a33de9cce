package dev.sparring.lab.latent;

import dev.sparring.UserError;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * A sum of latent vectors, as {@code sparring latent arithmetic --expr} takes it: {@code "7 - 1 + 4"},
 * {@code "a - b + c"}, {@code "0.5*a + 0.5*b"}, {@code "-3 + 8"}.
 *
 * <pre>
 *   expr  := [+|-] term { (+|-) term }
 *   term  := [number *] atom
 *   atom  := a digit 0 to 9   the mean latent of the samples the classifier puts in that class
 *          | a name           [A-Za-z_][A-Za-z0-9_]*: the mean of a saved latent set (--z NAME=FILE)
 * </pre>
 * A number before {@code *} is a coefficient (any decimal: {@code 0.5*a}, {@code 2*7}); a number alone is a class and
 * must be one digit. Spaces are free. Every mistake is a {@link UserError} naming {@code --expr} and the position.
 *
 * @param text  the expression as given
 * @param terms its terms in order
 */
public record LatentExpression(String text, List<Term> terms) {
    /** One term: coefficient × (class mean or named set's mean). Exactly one of {@code digit >= 0} or {@code name}. */
    public record Term(double coefficient, int digit, String name) {
        public boolean isClass() { return name == null; }

        /** The atom as written: "7" or "a". */
        public String atom() { return isClass() ? Integer.toString(digit) : name; }
    }

    public LatentExpression {
        terms = List.copyOf(terms);
    }

    /** Parses {@code text}, or throws a one-line UserError naming --expr. */
    public static LatentExpression parse(String text) {
        return new Parser(text).parse();
    }

    /** The classes the expression names, in order of first use. */
    public Set<Integer> classes() {
        Set<Integer> s = new LinkedHashSet<>();
        for (Term t : terms) if (t.isClass()) s.add(t.digit());
        return s;
    }

    /** The set names the expression names, in order of first use. */
    public Set<String> names() {
        Set<String> s = new LinkedHashSet<>();
        for (Term t : terms) if (!t.isClass()) s.add(t.name());
        return s;
    }

    /** Σ coefficient × vector(atom), every vector of one length. */
    public double[] evaluate(Function<Term, double[]> vector) {
        double[] r = null;
        for (Term t : terms) {
            double[] v = vector.apply(t);
            if (r == null) r = new double[v.length];
            if (v.length != r.length) throw new IllegalArgumentException("--expr: vectors of different lengths (" + r.length + ", " + v.length + ")");
            for (int i = 0; i < r.length; i++) r[i] += t.coefficient() * v[i];
        }
        return r;
    }

    /** The expression written back plainly: "7 - 1 + 4", "0.5*a + 0.5*b". */
    public String canonical() {
        StringBuilder s = new StringBuilder();
        for (Term t : terms) {
            double c = t.coefficient();
            if (s.isEmpty()) { if (c < 0) s.append('-'); }
            else s.append(c < 0 ? " - " : " + ");
            double m = Math.abs(c);
            if (m != 1) s.append(m == Math.rint(m) && m < 1e15 ? Long.toString((long) m) : Double.toString(m)).append('*');
            s.append(t.atom());
        }
        return s.toString();
    }

    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) { this.s = s == null ? "" : s; }

        LatentExpression parse() {
            List<Term> terms = new ArrayList<>();
            skip();
            if (i == s.length()) throw error("is empty; write classes 0 to 9 and --z names joined by + and -, e.g. \"7 - 1 + 4\"");
            double sign = 1;
            if (peek('+') || peek('-')) { sign = s.charAt(i) == '-' ? -1 : 1; i++; skip(); }
            terms.add(term(sign));
            while (true) {
                skip();
                if (i == s.length()) break;
                char c = s.charAt(i);
                if (c != '+' && c != '-') throw error("expected + or - at position " + (i + 1) + ", found '" + c + "'");
                i++;
                skip();
                terms.add(term(c == '-' ? -1 : 1));
            }
            return new LatentExpression(s, terms);
        }

        private Term term(double sign) {
            if (i == s.length()) throw error("ends after a sign; a class (0 to 9) or a --z name must follow");
            int start = i;
            char c = s.charAt(i);
            if (Character.isDigit(c) || c == '.') {
                while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) i++;
                // an exponent, as in 1e-3*a
                if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E') && i + 1 < s.length()
                        && (Character.isDigit(s.charAt(i + 1)) || ((s.charAt(i + 1) == '-' || s.charAt(i + 1) == '+') && i + 2 < s.length() && Character.isDigit(s.charAt(i + 2))))) {
                    i += 2;
                    while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
                }
                String num = s.substring(start, i);
                skip();
                if (peek('*')) {
                    double coef;
                    try {
                        coef = Double.parseDouble(num);
                    } catch (NumberFormatException e) {
                        throw error("'" + num + "' at position " + (start + 1) + " is not a number");
                    }
                    if (!Double.isFinite(coef)) throw error("coefficient '" + num + "' is not finite");
                    i++;
                    skip();
                    if (i == s.length()) throw error("ends after '*'; a class (0 to 9) or a --z name must follow");
                    Term t = term(sign * coef);
                    if (t.coefficient() != sign * coef) throw error("one coefficient per term, at position " + (start + 1));
                    return t;
                }
                if (num.length() != 1 || !Character.isDigit(num.charAt(0))) {
                    throw error("'" + num + "' at position " + (start + 1) + " is not a class: classes are single digits 0 to 9 "
                            + "(a coefficient needs '*', as in 0.5*a)");
                }
                return new Term(sign, num.charAt(0) - '0', null);
            }
            if (Character.isLetter(c) || c == '_') {
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) i++;
                return new Term(sign, -1, s.substring(start, i));
            }
            throw error("unexpected '" + c + "' at position " + (i + 1) + "; terms are classes 0 to 9 or --z names");
        }

        private boolean peek(char c) { return i < s.length() && s.charAt(i) == c; }

        private void skip() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        private UserError error(String what) {
            return new UserError(String.format(Locale.ROOT, "--expr \"%s\" %s", s, what));
        }
    }
}
