package dev.sparring.gan.loss;

import dev.sparring.gan.loss.Expr.Binary;
import dev.sparring.gan.loss.Expr.Fn;
import dev.sparring.gan.loss.Expr.Num;
import dev.sparring.gan.loss.Expr.Op;
import dev.sparring.gan.loss.Expr.Select;
import dev.sparring.gan.loss.Expr.Unary;

/**
 * Algebraic simplification of {@link Expr} trees, with rewrites toward numerically stable forms.
 *
 * <p>The constructors below ({@link #add}, {@link #mul}, {@link #fn}, ...) build a node and apply the local
 * rules at once; {@link #simplify} rebuilds a whole tree through them until nothing changes. Rules:
 * <ul>
 * <li>constant folding (only to finite results), identities (x+0, x*1, x*0, x^1, x-x, x/x, --x), constants
 *     to the right of + and to the left of *, division by a constant as multiplication;</li>
 * <li>stable forms: log(sigmoid(x)) = log_sigmoid(x); log(1+exp(x)) = log1p(exp(x)) = softplus(x);
 *     1-sigmoid(x) = sigmoid(-x); log(1+x) = log1p(x); log(1-x) = log1p(-x); exp(x)-1 = expm1(x);
 *     expm1(x)+1 = exp(x); -softplus(-x) = log_sigmoid(x); x-softplus(x) = log_sigmoid(x);
 *     softplus(x)-x = softplus(-x); exp(log_sigmoid(x)) = sigmoid(x); exp(-softplus(x)) = sigmoid(-x);
 *     1/(1+exp(-x)) = sigmoid(x); exp(x)/(1+exp(x)) = sigmoid(x); log1p(-sigmoid(x)) = log_sigmoid(-x);</li>
 * <li>exponential bookkeeping: log(exp(x)) = x; exp(x)*exp(y) = exp(x+y); x/exp(y) = x*exp(-y);
 *     sqrt(exp(x)) = exp(x/2); exp(x)^c = exp(c*x); log(c*x) = log(c) + log(x) for c &gt; 0;
 *     c - c*x = c*(1-x); c*exp(x) - c = c*expm1(x); exp(c+x) = e^c*exp(x) and (a+exp(x))*exp(y) =
 *     a*exp(y) + exp(x+y) only where the result gets rid of an exp (these last two are tried, kept if smaller).</li>
 * </ul>
 * exp(log(x)) is left alone: it is NaN for x &lt; 0, and a rewrite must not make a formula defined where
 * it was not. The rules are sound where the original expression is finite.
 */
public final class Simplify {
    private Simplify() { }

    /** Rebuilds e through the rewriting constructors until a fixed point (at most 32 passes). */
    public static Expr simplify(Expr e) {
        Expr cur = e;
        for (int pass = 0; pass < 32; pass++) {
            Expr next = once(cur);
            if (next.equals(cur)) return next;
            cur = next;
        }
        return cur;
    }

    private static Expr once(Expr e) {
        return switch (e) {
            case Num n -> n;
            case Expr.Var v -> v;
            case Expr.Param p -> p;
            case Unary u -> fn(u.fn(), once(u.x()));
            case Binary b -> op(b.op(), once(b.a()), once(b.b()));
            case Select s -> select(once(s.cond()), once(s.ifPositive()), once(s.otherwise()));
        };
    }

    // ------------------------------------------------------------------ helpers

    /** A constant; -0.0 becomes 0.0 (a derivative's "-0" is printed and compiled as 0). */
    static Num num(double v) { return new Num(v == 0 ? 0.0 : v); }

    private static boolean isNum(Expr e, double v) { return e instanceof Num n && n.value() == v; }

    private static boolean isNum(Expr e) { return e instanceof Num; }

    private static double val(Expr e) { return ((Num) e).value(); }

    private static boolean is(Expr e, Fn f) { return e instanceof Unary u && u.fn() == f; }

    private static Expr arg(Expr e) { return ((Unary) e).x(); }

    private static boolean is(Expr e, Op op) { return e instanceof Binary b && b.op() == op; }

    private static Expr left(Expr e) { return ((Binary) e).a(); }

    private static Expr right(Expr e) { return ((Binary) e).b(); }

    private static Expr smaller(Expr candidate, Expr original) {
        return candidate.size() < original.size() ? candidate : original;
    }

    // ------------------------------------------------------------------ constructors

    /** op(a, b) with the rules for op. */
    public static Expr op(Op op, Expr a, Expr b) {
        return switch (op) {
            case ADD -> add(a, b);
            case SUB -> sub(a, b);
            case MUL -> mul(a, b);
            case DIV -> div(a, b);
            case POW -> pow(a, b);
            case MIN, MAX -> minMax(op, a, b);
        };
    }

    public static Expr neg(Expr x) { return fn(Fn.NEG, x); }

    public static Expr log(Expr x) { return fn(Fn.LOG, x); }

    public static Expr fn(Fn f, Expr x) {
        if (x instanceof Num n) {
            double v = f.apply(n.value());
            if (Double.isFinite(v)) return num(v);
        }
        switch (f) {
            case NEG -> {
                if (is(x, Fn.NEG)) return arg(x);
                if (is(x, Op.SUB)) return sub(right(x), left(x));
                if (is(x, Op.ADD) && isNum(right(x))) return sub(num(-val(right(x))), left(x));
                if (is(x, Op.MUL) && isNum(left(x))) return mul(num(-val(left(x))), right(x));
                if (is(x, Op.DIV) && isNum(left(x))) return div(num(-val(left(x))), right(x));
                if (x instanceof Select s) return select(s.cond(), neg(s.ifPositive()), neg(s.otherwise()));
                if (is(x, Fn.SOFTPLUS) && is(arg(x), Fn.NEG)) return fn(Fn.LOG_SIGMOID, arg(arg(x)));
                if (is(x, Fn.LOG_SIGMOID) && is(arg(x), Fn.NEG)) return fn(Fn.SOFTPLUS, arg(arg(x)));
            }
            case EXP -> {
                if (is(x, Fn.LOG_SIGMOID)) return fn(Fn.SIGMOID, arg(x));
                if (is(x, Fn.NEG) && is(arg(x), Fn.SOFTPLUS)) return fn(Fn.SIGMOID, neg(arg(arg(x))));
                if (is(x, Op.ADD) && isNum(right(x))) return expShift(x, left(x), val(right(x)));
                if (is(x, Op.SUB) && isNum(left(x))) return expShift(x, neg(right(x)), val(left(x)));
            }
            case LOG -> {
                if (is(x, Fn.EXP)) return arg(x);
                if (is(x, Fn.SIGMOID)) return fn(Fn.LOG_SIGMOID, arg(x));
                if (is(x, Op.ADD) && isNum(right(x), 1)) return fn(Fn.LOG1P, left(x));
                if (is(x, Op.SUB) && isNum(left(x), 1)) return fn(Fn.LOG1P, neg(right(x)));
                if (is(x, Op.MUL) && isNum(left(x)) && val(left(x)) > 0) return add(fn(Fn.LOG, right(x)), num(Math.log(val(left(x)))));
                if (is(x, Op.DIV) && isNum(left(x)) && val(left(x)) > 0) return sub(num(Math.log(val(left(x)))), fn(Fn.LOG, right(x)));
            }
            case LOG1P -> {
                if (is(x, Fn.EXP)) return fn(Fn.SOFTPLUS, arg(x));
                if (is(x, Fn.EXPM1)) return arg(x);
                if (is(x, Fn.NEG) && is(arg(x), Fn.SIGMOID)) return fn(Fn.LOG_SIGMOID, neg(arg(arg(x))));
            }
            case SQRT -> {
                if (is(x, Fn.EXP)) return fn(Fn.EXP, mul(num(0.5), arg(x)));
                if (is(x, Op.POW) && isNum(right(x), 2)) return fn(Fn.ABS, left(x));
            }
            case ABS -> {
                if (is(x, Fn.ABS) || is(x, Fn.NEG)) return fn(Fn.ABS, arg(x));
            }
            default -> { }
        }
        return new Unary(f, x);
    }

    /** exp(y + c) as e^c * exp(y), kept only when exp(y) simplifies away (e.g. y = -softplus(-t)). */
    private static Expr expShift(Expr original, Expr y, double c) {
        Expr inner = fn(Fn.EXP, y);
        double ec = Math.exp(c);
        if (!is(inner, Fn.EXP) && Double.isFinite(ec) && ec > 0) return mul(num(ec), inner);
        return new Unary(Fn.EXP, original);
    }

    public static Expr add(Expr a, Expr b) {
        if (isNum(a) && isNum(b) && Double.isFinite(val(a) + val(b))) return num(val(a) + val(b));
        if (isNum(a) && !isNum(b)) return add(b, a);
        if (isNum(b, 0)) return a;
        if (is(b, Fn.NEG)) return sub(a, arg(b));
        if (is(a, Fn.NEG)) return sub(b, arg(a));
        if (is(b, Op.MUL) && isNum(left(b)) && val(left(b)) < 0) return sub(a, mul(num(-val(left(b))), right(b)));
        if (a.equals(b)) return mul(num(2), a);
        if (is(a, Op.SUB) && right(a).equals(b)) return left(a);
        if (is(b, Op.SUB) && right(b).equals(a)) return left(b);
        if (isNum(b)) {
            double c = val(b);
            if (is(a, Op.ADD) && isNum(right(a))) return add(left(a), num(val(right(a)) + c));
            if (c == -1 && is(a, Fn.EXP)) return fn(Fn.EXPM1, arg(a));
            if (c == 1 && is(a, Fn.EXPM1)) return fn(Fn.EXP, arg(a));
            if (is(a, Op.MUL) && isNum(left(a)) && val(left(a)) == -c && is(right(a), Fn.EXP)) {
                return mul(left(a), fn(Fn.EXPM1, arg(right(a))));
            }
        }
        return new Binary(Op.ADD, a, b);
    }

    public static Expr sub(Expr a, Expr b) {
        if (isNum(a) && isNum(b) && Double.isFinite(val(a) - val(b))) return num(val(a) - val(b));
        if (isNum(b, 0)) return a;
        if (isNum(a, 0)) return neg(b);
        if (a.equals(b)) return num(0);
        if (isNum(b)) return add(a, num(-val(b)));
        if (is(b, Fn.NEG)) return add(a, arg(b));
        if (is(a, Fn.NEG)) return neg(add(arg(a), b));
        if (is(b, Op.MUL) && isNum(left(b)) && val(left(b)) < 0) return add(a, mul(num(-val(left(b))), right(b)));
        if (is(b, Op.SUB) && left(b).equals(a)) return right(b);
        if (is(a, Op.ADD) && right(a).equals(b)) return left(a);
        if (is(a, Op.ADD) && left(a).equals(b)) return right(a);
        if (isNum(a, 1) && is(b, Fn.SIGMOID)) return fn(Fn.SIGMOID, neg(arg(b)));
        if (isNum(a, 1) && is(b, Fn.EXP)) return neg(fn(Fn.EXPM1, arg(b)));
        if (isNum(a) && is(b, Op.MUL) && isNum(left(b), val(a))) return mul(a, sub(num(1), right(b)));
        if (is(a, Fn.SOFTPLUS) && arg(a).equals(b)) return fn(Fn.SOFTPLUS, neg(b));
        if (is(b, Fn.SOFTPLUS) && arg(b).equals(a)) return fn(Fn.LOG_SIGMOID, a);
        return new Binary(Op.SUB, a, b);
    }

    public static Expr mul(Expr a, Expr b) {
        if (isNum(a) && isNum(b) && Double.isFinite(val(a) * val(b))) return num(val(a) * val(b));
        if (!isNum(a) && isNum(b)) return mul(b, a);
        if (isNum(a, 0)) return num(0);
        if (isNum(a, 1)) return b;
        if (isNum(a, -1)) return neg(b);
        if (isNum(a) && is(b, Op.MUL) && isNum(left(b))) return mul(num(val(a) * val(left(b))), right(b));
        if (isNum(a) && is(b, Op.DIV) && isNum(left(b))) return div(num(val(a) * val(left(b))), right(b));
        if (is(a, Fn.NEG)) return neg(mul(arg(a), b));
        if (is(b, Fn.NEG)) return neg(mul(a, arg(b)));
        if (is(a, Fn.EXP) && is(b, Fn.EXP)) return fn(Fn.EXP, add(arg(a), arg(b)));
        if (is(a, Op.DIV) && isNum(left(a), 1)) return div(b, right(a));
        if (is(b, Op.DIV) && isNum(left(b), 1)) return div(a, right(b));
        if (is(a, Fn.EXPM1) && is(b, Fn.EXP) && arg(b).equals(neg(arg(a)))) return neg(fn(Fn.EXPM1, arg(b)));
        if (is(b, Fn.EXPM1) && is(a, Fn.EXP) && arg(a).equals(neg(arg(b)))) return neg(fn(Fn.EXPM1, arg(a)));
        Expr plain = new Binary(Op.MUL, a, b);
        if (is(b, Fn.EXP) && (is(a, Op.ADD) || is(a, Op.SUB)) && (is(left(a), Fn.EXP) || is(right(a), Fn.EXP))) {
            return smaller(op(((Binary) a).op(), mul(left(a), b), mul(right(a), b)), plain);
        }
        if (is(a, Fn.EXP) && (is(b, Op.ADD) || is(b, Op.SUB)) && (is(left(b), Fn.EXP) || is(right(b), Fn.EXP))) {
            return smaller(op(((Binary) b).op(), mul(a, left(b)), mul(a, right(b))), plain);
        }
        return plain;
    }

    public static Expr div(Expr a, Expr b) {
        if (isNum(a) && isNum(b) && Double.isFinite(val(a) / val(b))) return num(val(a) / val(b));
        if (isNum(b, 1)) return a;
        if (isNum(b) && val(b) != 0 && Double.isFinite(1 / val(b))) return mul(num(1 / val(b)), a);
        if (isNum(a, 0)) return num(0);
        if (a.equals(b)) return num(1);
        if (is(a, Fn.NEG)) return neg(div(arg(a), b));
        if (is(b, Fn.NEG)) return neg(div(a, arg(b)));
        if (is(a, Op.MUL) && isNum(left(a))) return mul(left(a), div(right(a), b));
        if (is(b, Fn.EXP)) return mul(a, fn(Fn.EXP, neg(arg(b))));
        if (is(b, Op.ADD) && isNum(right(b), 1) && is(left(b), Fn.EXP)) {
            Expr y = arg(left(b));
            if (isNum(a, 1)) return fn(Fn.SIGMOID, neg(y));
            if (is(a, Fn.EXP) && arg(a).equals(y)) return fn(Fn.SIGMOID, y);
        }
        return new Binary(Op.DIV, a, b);
    }

    public static Expr pow(Expr a, Expr b) {
        if (isNum(a) && isNum(b) && Double.isFinite(Math.pow(val(a), val(b)))) return num(Math.pow(val(a), val(b)));
        if (isNum(b, 1)) return a;
        if (isNum(b, 0)) return num(1);
        if (isNum(b, 0.5)) return fn(Fn.SQRT, a);
        if (is(a, Fn.EXP) && isNum(b)) return fn(Fn.EXP, mul(b, arg(a)));
        return new Binary(Op.POW, a, b);
    }

    private static Expr minMax(Op op, Expr a, Expr b) {
        if (isNum(a) && isNum(b)) return num(op.apply(val(a), val(b)));
        if (a.equals(b)) return a;
        return new Binary(op, a, b);
    }

    public static Expr select(Expr c, Expr a, Expr b) {
        if (c instanceof Num n) return n.value() > 0 ? a : b;
        if (a.equals(b)) return a;
        return new Select(c, a, b);
    }
}
