package dev.sparring.gan.loss;

import dev.sparring.gan.loss.Expr.Fn;
import dev.sparring.gan.loss.Expr.Op;

import static dev.sparring.gan.loss.Simplify.add;
import static dev.sparring.gan.loss.Simplify.div;
import static dev.sparring.gan.loss.Simplify.fn;
import static dev.sparring.gan.loss.Simplify.log;
import static dev.sparring.gan.loss.Simplify.mul;
import static dev.sparring.gan.loss.Simplify.neg;
import static dev.sparring.gan.loss.Simplify.num;
import static dev.sparring.gan.loss.Simplify.pow;
import static dev.sparring.gan.loss.Simplify.select;
import static dev.sparring.gan.loss.Simplify.sub;

/**
 * Symbolic d/dt of an {@link Expr}, built through the {@link Simplify} constructors and written in stable forms:
 * <pre>
 * softplus(x)'    = sigmoid(x) x'             log_sigmoid(x)' = sigmoid(-x) x'
 * sigmoid(x)'     = sigmoid(x) sigmoid(-x) x'  tanh(x)'        = 4 sigmoid(2x) sigmoid(-2x) x'   (not 1 - tanh^2,
 *                                                                which rounds to 0 for |x| &gt; 19)
 * log1p(x)'       = x' / (x + 1)               expm1(x)'       = exp(x) x'
 * (a/b)'          = (a' - (a/b) b') / b        (no b^2, which overflows first)
 * relu(x)'        = select(x, x', 0)           min(a,b)'       = select(b - a, a', b'), max likewise
 * abs(x)'         = sign(x) x'                 sign', step'    = 0 (almost everywhere)
 * a^c (c constant) = c a^(c-1) a'               c^b             = c^b log(c) b'
 * </pre>
 * Where the outer derivative is infinite at a finite point (sqrt, log, log1p, a^c with c &lt; 1) and the inner
 * derivative is piecewise (it can be exactly 0 on an interval, as for sqrt(relu(t))), the product is guarded:
 * select(abs(x'), f'(x) x', 0), so that a flat stretch has derivative 0 rather than inf * 0 = NaN.
 * Parameters must be bound first: a parameter's derivative would be 0, which is right, but the result
 * would then mix bound and unbound forms.
 */
public final class Derivative {
    private Derivative() { }

    /** d e / dt, simplified. */
    public static Expr of(Expr e) {
        return Simplify.simplify(d(e));
    }

    private static Expr d(Expr e) {
        return switch (e) {
            case Expr.Num n -> num(0);
            case Expr.Var v -> num(1);
            case Expr.Param p -> num(0);
            case Expr.Unary u -> unary(u.fn(), u.x(), d(u.x()));
            case Expr.Binary b -> binary(b.op(), b.a(), b.b(), d(b.a()), d(b.b()));
            case Expr.Select s -> select(s.cond(), d(s.ifPositive()), d(s.otherwise()));
        };
    }

    private static Expr unary(Fn f, Expr x, Expr dx) {
        if (f == Fn.RELU) return select(x, dx, num(0));
        if (f == Fn.LOG) return piecewise(dx) ? guarded(div(num(1), x), dx) : div(dx, x);
        Expr local = switch (f) {
            case NEG -> num(-1);
            case EXP, EXPM1 -> fn(Fn.EXP, x);
            case LOG -> div(num(1), x); // handled above as x'/x
            case LOG1P -> div(num(1), add(x, num(1)));
            case SOFTPLUS -> fn(Fn.SIGMOID, x);
            case SIGMOID -> mul(fn(Fn.SIGMOID, x), fn(Fn.SIGMOID, neg(x)));
            case LOG_SIGMOID -> fn(Fn.SIGMOID, neg(x));
            case TANH -> mul(num(4), mul(fn(Fn.SIGMOID, mul(num(2), x)), fn(Fn.SIGMOID, mul(num(-2), x))));
            case SQRT -> div(num(0.5), fn(Fn.SQRT, x));
            case ABS -> fn(Fn.SIGN, x);
            case SIGN, STEP, RELU -> num(0); // RELU handled above
        };
        if ((f == Fn.SQRT || f == Fn.LOG1P) && piecewise(dx)) return guarded(local, dx);
        return mul(local, dx);
    }

    /**
     * local * dx, but 0 where dx = 0: for an outer derivative that is infinite at a finite point (sqrt at 0, log at
     * 0) composed with an inner function that is flat there (sqrt(relu(t)) for t &lt; 0), inf * 0 would be NaN
     * while the derivative is 0.
     */
    private static Expr guarded(Expr local, Expr dx) {
        return select(fn(Fn.ABS, dx), mul(local, dx), num(0));
    }

    /** True when e contains a piecewise-constant part (select, sign, step), so it can be exactly 0 on an interval. */
    private static boolean piecewise(Expr e) {
        return switch (e) {
            case Expr.Select s -> true;
            case Expr.Unary u -> u.fn() == Fn.SIGN || u.fn() == Fn.STEP || piecewise(u.x());
            case Expr.Binary b -> piecewise(b.a()) || piecewise(b.b());
            default -> false;
        };
    }

    private static Expr binary(Op op, Expr a, Expr b, Expr da, Expr db) {
        return switch (op) {
            case ADD -> add(da, db);
            case SUB -> sub(da, db);
            case MUL -> add(mul(da, b), mul(a, db));
            case DIV -> div(sub(da, mul(div(a, b), db)), b);
            case POW -> {
                if (!b.hasVar()) {
                    Expr local = mul(b, pow(a, sub(b, num(1))));
                    boolean infiniteAtZero = b instanceof Expr.Num n && n.value() < 1;
                    yield infiniteAtZero && piecewise(da) ? guarded(local, da) : mul(local, da);
                }
                if (!a.hasVar()) yield mul(mul(pow(a, b), log(a)), db);
                yield mul(pow(a, b), add(mul(db, log(a)), div(mul(b, da), a)));
            }
            case MIN -> select(sub(b, a), da, db);
            case MAX -> select(sub(a, b), da, db);
        };
    }
}
