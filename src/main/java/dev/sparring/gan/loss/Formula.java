package dev.sparring.gan.loss;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The formula language for GAN losses: a recursive-descent parser from text to {@link Expr} trees.
 *
 * <pre>
 * spec    := clause (';' clause)* [';']          clauses: phi=, psi=, beta= (optional), out= (optional),
 * clause  := name '=' expr                       and any other name = a parameter (a constant expression)
 * expr    := term (('+' | '-') term)*
 * term    := unary (('*' | '/') unary)*
 * unary   := ('-' | '+') unary | power
 * power   := primary [('^' | '**') unary]        right associative: 2^-t, t^2^3 = t^(2^3); -t^2 = -(t^2)
 * primary := number | 't' | parameter | function '(' expr {',' expr} ')' | '(' expr ')'
 * number  := digits ['.' digits] [('e'|'E') ['+'|'-'] digits]   (also '.5')
 * </pre>
 * Functions: exp, log, log1p, expm1, softplus, sigmoid, log_sigmoid, tanh, sqrt, abs, relu (one argument),
 * min, max (two). Also accepted, because derivatives print with them: sign, step, select(c, a, b) = c &gt; 0 ? a : b.
 * The Unicode operators − × · ÷ and the clause names φ ψ β are accepted as aliases.
 */
public final class Formula {
    private Formula() { }

    /** Names with a meaning in the language; none of them can be a parameter. */
    static final Set<String> FUNCTIONS = Set.of("exp", "log", "log1p", "expm1", "softplus", "sigmoid", "log_sigmoid",
            "tanh", "sqrt", "abs", "relu", "min", "max", "sign", "step", "select");
    static final Set<String> CLAUSES = Set.of("phi", "psi", "beta", "out");

    /**
     * A parsed specification: the expressions as written (parameters unbound), the parameter values in the
     * order written. {@code beta} and {@code out} may be null (beta defaults to psi, out to the identity).
     */
    public record Spec(Expr phi, Expr psi, Expr beta, Expr out, Map<String, Double> params) { }

    /** Parses one expression; every identifier that is not a function is a parameter. */
    public static Expr parseExpr(String text) {
        Parser p = new Parser(text, 0, text.length());
        Expr e = p.expr();
        p.expectEnd();
        return e;
    }

    /**
     * Parses a formula specification such as {@code "phi=-exp(-t); psi=-exp(t); beta=exp(t)"}.
     * Errors carry the column in {@code spec}.
     */
    public static Spec parseSpec(String spec) {
        Map<String, Expr> clauses = new LinkedHashMap<>();
        Map<String, Integer> clauseAt = new LinkedHashMap<>();
        Map<String, Double> params = new LinkedHashMap<>();
        int start = 0;
        while (start <= spec.length()) {
            int end = spec.indexOf(';', start);
            if (end < 0) end = spec.length();
            int nl = spec.indexOf('\n', start);
            if (nl >= 0 && nl < end) end = nl;
            if (!spec.substring(start, end).isBlank()) {
                Parser p = new Parser(spec, start, end);
                p.skipSpace();
                int nameAt = p.pos;
                String name = canonicalClause(p.identifier("a clause name (phi, psi, beta, out or a parameter)"));
                p.skipSpace();
                if (!p.eat('=')) throw p.error("expected '=' after '" + name + "'");
                if (clauses.containsKey(name) || params.containsKey(name)) {
                    throw new FormulaException(spec, nameAt, "'" + name + "' is defined twice");
                }
                if (name.equals("t") || FUNCTIONS.contains(name)) {
                    throw new FormulaException(spec, nameAt, "'" + name + "' is reserved and cannot be defined");
                }
                int exprAt = p.pos;
                Expr e = p.expr();
                p.expectEnd();
                if (CLAUSES.contains(name)) {
                    clauses.put(name, e);
                    clauseAt.put(name, exprAt);
                } else {
                    if (e.hasVar() || e.hasParam()) {
                        throw new FormulaException(spec, exprAt, "parameter '" + name + "' must be a constant (no t, no other parameter)");
                    }
                    double v = e.eval(0);
                    if (!Double.isFinite(v)) throw new FormulaException(spec, exprAt, "parameter '" + name + "' is not finite: " + v);
                    params.put(name, v);
                }
            }
            start = end + 1;
        }
        for (String required : List.of("phi", "psi")) {
            if (!clauses.containsKey(required)) {
                throw new FormulaException(spec, spec.length(), "missing '" + required + "=...' (a formula loss needs phi and psi; beta defaults to psi)");
            }
        }
        for (var c : clauses.entrySet()) {
            checkParams(spec, c.getValue(), clauseAt.get(c.getKey()), params);
        }
        if (clauses.containsKey("out") && !clauses.get("out").hasVar()) {
            throw new FormulaException(spec, clauseAt.get("out"), "out= must be a function of t (an output activation such as sigmoid(t))");
        }
        return new Spec(clauses.get("phi"), clauses.get("psi"), clauses.get("beta"), clauses.get("out"), params);
    }

    /**
     * Parses a constant expression (a parameter value in {@code NAME:params}); {@code from, to} delimit it in
     * {@code source} so that errors point into the whole specification.
     */
    static double parseConstant(String source, int from, int to, String what) {
        Parser p = new Parser(source, from, to);
        p.skipSpace();
        int at = p.pos;
        Expr e = p.expr();
        p.expectEnd();
        if (e.hasVar() || e.hasParam()) throw new FormulaException(source, at, what + " must be a number");
        double v = e.eval(0);
        if (!Double.isFinite(v)) throw new FormulaException(source, at, what + " is not finite: " + v);
        return v;
    }

    private static String canonicalClause(String name) {
        return switch (name) {
            case "φ", "ϕ" -> "phi";
            case "ψ" -> "psi";
            case "β" -> "beta";
            default -> name;
        };
    }

    private static void checkParams(String spec, Expr e, int at, Map<String, Double> params) {
        Set<String> unknown = new TreeSet<>();
        collectParams(e, unknown);
        unknown.removeAll(params.keySet());
        if (!unknown.isEmpty()) {
            String name = unknown.iterator().next();
            int idx = findIdentifier(spec, at, name);
            throw new FormulaException(spec, idx, "unknown name '" + name + "': use t, a function ("
                    + String.join(", ", new TreeSet<>(FUNCTIONS)) + ") or define a parameter (" + name + "=...)");
        }
    }

    private static void collectParams(Expr e, Set<String> out) {
        switch (e) {
            case Expr.Param p -> out.add(p.name());
            case Expr.Unary u -> collectParams(u.x(), out);
            case Expr.Binary b -> {
                collectParams(b.a(), out);
                collectParams(b.b(), out);
            }
            case Expr.Select s -> {
                collectParams(s.cond(), out);
                collectParams(s.ifPositive(), out);
                collectParams(s.otherwise(), out);
            }
            default -> { }
        }
    }

    /** Index of the first whole-word occurrence of {@code name} at or after {@code from}. */
    private static int findIdentifier(String s, int from, String name) {
        for (int i = s.indexOf(name, from); i >= 0; i = s.indexOf(name, i + 1)) {
            boolean before = i == 0 || !isIdentPart(s.charAt(i - 1));
            boolean after = i + name.length() >= s.length() || !isIdentPart(s.charAt(i + name.length()));
            if (before && after) return i;
        }
        return from;
    }

    static boolean isIdentStart(char c) { return Character.isLetter(c) || c == '_'; }

    static boolean isIdentPart(char c) { return Character.isLetterOrDigit(c) || c == '_'; }

    /** Recursive descent over source[from, to); positions are absolute indices into source. */
    private static final class Parser {
        final String src;
        final int end;
        int pos;

        Parser(String src, int from, int to) {
            this.src = src;
            this.pos = from;
            this.end = to;
        }

        FormulaException error(String reason) { return new FormulaException(src, pos, reason); }

        void skipSpace() {
            while (pos < end && Character.isWhitespace(src.charAt(pos))) pos++;
        }

        char peek() {
            skipSpace();
            return pos < end ? src.charAt(pos) : '\0';
        }

        boolean eat(char c) {
            if (peek() == c) {
                pos++;
                return true;
            }
            return false;
        }

        void expectEnd() {
            skipSpace();
            if (pos < end) {
                char c = src.charAt(pos);
                throw error(c == ')' ? "unmatched ')'" : "unexpected '" + c + "' after a complete expression (missing operator?)");
            }
        }

        String identifier(String what) {
            skipSpace();
            int s = pos;
            if (pos >= end || !isIdentStart(src.charAt(pos))) {
                throw error("expected " + what + (pos < end ? ", found '" + src.charAt(pos) + "'" : ", found the end"));
            }
            while (pos < end && isIdentPart(src.charAt(pos))) pos++;
            return src.substring(s, pos);
        }

        Expr expr() {
            Expr e = term();
            while (true) {
                char c = peek();
                if (c == '+') {
                    pos++;
                    e = new Expr.Binary(Expr.Op.ADD, e, term());
                } else if (c == '-' || c == '−') {
                    pos++;
                    e = new Expr.Binary(Expr.Op.SUB, e, term());
                } else {
                    return e;
                }
            }
        }

        Expr term() {
            Expr e = unary();
            while (true) {
                char c = peek();
                if ((c == '*' && !(pos + 1 < end && src.charAt(pos + 1) == '*')) || c == '×' || c == '·') {
                    pos++;
                    e = new Expr.Binary(Expr.Op.MUL, e, unary());
                } else if (c == '/' || c == '÷') {
                    pos++;
                    e = new Expr.Binary(Expr.Op.DIV, e, unary());
                } else {
                    return e;
                }
            }
        }

        Expr unary() {
            char c = peek();
            if (c == '-' || c == '−') {
                pos++;
                Expr x = unary();
                // a negated literal is a negative number, so that printed trees read back unchanged
                return x instanceof Expr.Num n ? new Expr.Num(-n.value()) : new Expr.Unary(Expr.Fn.NEG, x);
            }
            if (c == '+') {
                pos++;
                return unary();
            }
            return power();
        }

        Expr power() {
            Expr base = primary();
            char c = peek();
            if (c == '^') {
                pos++;
                return new Expr.Binary(Expr.Op.POW, base, unary());
            }
            if (c == '*' && pos + 1 < end && src.charAt(pos + 1) == '*') {
                pos += 2;
                return new Expr.Binary(Expr.Op.POW, base, unary());
            }
            return base;
        }

        Expr primary() {
            char c = peek();
            if (c == '(') {
                int open = pos;
                pos++;
                Expr e = expr();
                if (!eat(')')) {
                    throw peek() == '\0' ? new FormulaException(src, open, "'(' is never closed") : error("expected ')'");
                }
                return e;
            }
            if (Character.isDigit(c) || c == '.') return number();
            if (isIdentStart(c)) {
                int at = pos;
                String name = identifier("a name");
                if (peek() == '(') {
                    if (!FUNCTIONS.contains(name)) {
                        throw new FormulaException(src, at, "unknown function '" + name + "' (functions: "
                                + String.join(", ", new TreeSet<>(FUNCTIONS)) + ")");
                    }
                    return call(name, at);
                }
                if (FUNCTIONS.contains(name)) throw new FormulaException(src, at, "function '" + name + "' needs an argument list: " + name + "(...)");
                if (name.equals("t")) return Expr.T;
                if (CLAUSES.contains(name)) throw new FormulaException(src, at, "'" + name + "' cannot be used inside a formula");
                return new Expr.Param(name);
            }
            if (c == '\0') throw error("expected a number, t, a name or '(', found the end");
            throw error("unexpected '" + c + "'");
        }

        Expr call(String name, int at) {
            pos++; // '('
            List<Expr> args = new ArrayList<>();
            if (peek() != ')') {
                args.add(expr());
                while (eat(',')) args.add(expr());
            }
            if (!eat(')')) throw peek() == '\0' ? new FormulaException(src, at, "'" + name + "(' is never closed") : error("expected ',' or ')'");
            int want = switch (name) {
                case "min", "max" -> 2;
                case "select" -> 3;
                default -> 1;
            };
            if (args.size() != want) {
                throw new FormulaException(src, at, name + " takes " + want + " argument" + (want == 1 ? "" : "s") + ", got " + args.size());
            }
            return switch (name) {
                case "min" -> new Expr.Binary(Expr.Op.MIN, args.get(0), args.get(1));
                case "max" -> new Expr.Binary(Expr.Op.MAX, args.get(0), args.get(1));
                case "select" -> new Expr.Select(args.get(0), args.get(1), args.get(2));
                default -> new Expr.Unary(function(name), args.getFirst());
            };
        }

        Expr number() {
            int s = pos;
            while (pos < end && Character.isDigit(src.charAt(pos))) pos++;
            if (pos < end && src.charAt(pos) == '.') {
                pos++;
                while (pos < end && Character.isDigit(src.charAt(pos))) pos++;
            }
            if (pos < end && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
                int mark = pos;
                pos++;
                if (pos < end && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
                if (pos < end && Character.isDigit(src.charAt(pos))) {
                    while (pos < end && Character.isDigit(src.charAt(pos))) pos++;
                } else {
                    pos = mark; // not an exponent: "2exp(t)" is reported below as a missing '*'
                }
            }
            String text = src.substring(s, pos);
            if (text.equals(".")) throw new FormulaException(src, s, "'.' is not a number");
            if (pos < end && isIdentStart(src.charAt(pos))) {
                throw error("a number cannot be followed by a name (write 2*t, not 2t; exponents are 1e-3)");
            }
            return new Expr.Num(Double.parseDouble(text));
        }

        private static Expr.Fn function(String name) {
            for (Expr.Fn f : Expr.Fn.values()) if (f.symbol.equals(name)) return f;
            throw new IllegalStateException("no Fn for " + name);
        }
    }
}
