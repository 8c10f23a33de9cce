package dev.sparring.gan.loss;

/**
 * Infix printing of an {@link Expr} in the formula language, with the fewest parentheses that still read back
 * ({@link Formula#parseExpr}) to the same tree.
 *
 * <p>Precedence, loosest first: {@code + -} (1), {@code * /} (2), unary minus (3), {@code ^} (4, right
 * associative), atoms (5): numbers, t, parameters, function calls.
 */
public final class Print {
    private Print() { }

    private static final int ADDITIVE = 1, MULTIPLICATIVE = 2, UNARY = 3, POWER = 4, ATOM = 5;

    static String infix(Expr e) {
        StringBuilder sb = new StringBuilder();
        write(sb, e);
        return sb.toString();
    }

    static int precedence(Expr e) {
        return switch (e) {
            case Expr.Num n -> n.value() < 0 || (n.value() == 0 && 1 / n.value() < 0) ? UNARY : ATOM;
            case Expr.Var v -> ATOM;
            case Expr.Param p -> ATOM;
            case Expr.Unary u -> u.fn() == Expr.Fn.NEG ? UNARY : ATOM;
            case Expr.Binary b -> switch (b.op()) {
                case ADD, SUB -> ADDITIVE;
                case MUL, DIV -> MULTIPLICATIVE;
                case POW -> POWER;
                case MIN, MAX -> ATOM;
            };
            case Expr.Select s -> ATOM;
        };
    }

    private static void write(StringBuilder sb, Expr e) {
        switch (e) {
            case Expr.Num n -> sb.append(number(n.value()));
            case Expr.Var v -> sb.append('t');
            case Expr.Param p -> sb.append(p.name());
            case Expr.Unary u -> {
                if (u.fn() == Expr.Fn.NEG) {
                    sb.append('-');
                    child(sb, u.x(), UNARY);
                } else {
                    sb.append(u.fn().symbol).append('(');
                    write(sb, u.x());
                    sb.append(')');
                }
            }
            case Expr.Binary b -> {
                switch (b.op()) {
                    case MIN, MAX -> {
                        sb.append(b.op().symbol).append('(');
                        write(sb, b.a());
                        sb.append(", ");
                        write(sb, b.b());
                        sb.append(')');
                    }
                    case POW -> {
                        child(sb, b.a(), ATOM);
                        sb.append('^');
                        child(sb, b.b(), UNARY);
                    }
                    default -> {
                        int p = precedence(b);
                        if (b.op() == Expr.Op.ADD && b.b() instanceof Expr.Num n && n.value() < 0) {
                            child(sb, b.a(), p);   // t + -1 reads as t - 1 (and parses back to the same value)
                            sb.append(" - ").append(number(-n.value()));
                            return;
                        }
                        child(sb, b.a(), p);
                        sb.append(switch (b.op()) {
                            case ADD -> " + ";
                            case SUB -> " - ";
                            case MUL -> "*";
                            default -> "/";
                        });
                        child(sb, b.b(), p + 1);
                    }
                }
            }
            case Expr.Select s -> {
                sb.append("select(");
                write(sb, s.cond());
                sb.append(", ");
                write(sb, s.ifPositive());
                sb.append(", ");
                write(sb, s.otherwise());
                sb.append(')');
            }
        }
    }

    /** Writes e, in parentheses when its precedence is below {@code min}. */
    private static void child(StringBuilder sb, Expr e, int min) {
        if (precedence(e) < min) {
            sb.append('(');
            write(sb, e);
            sb.append(')');
        } else {
            write(sb, e);
        }
    }

    /** Short human text for a number in messages: 2e-4, 0.01, 5, 1.386294. */
    public static String human(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e6) return Long.toString((long) v);
        double a = Math.abs(v);
        String s = a < 1e-3 || a >= 1e7 ? String.format(java.util.Locale.ROOT, "%.6e", v) : String.format(java.util.Locale.ROOT, "%.7g", v);
        if (s.contains("e")) {
            String[] parts = s.split("e");
            String m = parts[0].contains(".") ? parts[0].replaceAll("0+$", "").replaceAll("\\.$", "") : parts[0];
            int exp = Integer.parseInt(parts[1]);
            return m + "e" + exp;
        }
        if (s.contains(".")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s;
    }

    /** Shortest text that parses back to the same double; integers without a decimal point. */
    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15 && !(v == 0 && 1 / v < 0)) return Long.toString((long) v);
        return Double.toString(v);
    }
}
