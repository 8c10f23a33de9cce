package dev.sparring.gan.loss;

import dev.sparring.UserError;
import dev.sparring.backend.ScalarProgram;

import java.util.Map;

/**
 * A scalar expression in one variable t: the tree form of a GAN loss function (phi, psi, beta and their
 * derivatives). Built by {@link Formula#parseExpr}, rewritten by {@link Simplify}, differentiated by
 * {@link Derivative}, compiled to a {@link ScalarProgram} by {@link Compile}.
 *
 * <p>Every function and operator has exactly the semantics of the {@link ScalarProgram} op of the same name
 * (the evaluation below calls {@link ScalarProgram#unary} and {@link ScalarProgram#binary}), so a tree and
 * its compiled program agree bit for bit.
 */
public sealed interface Expr permits Expr.Num, Expr.Var, Expr.Param, Expr.Unary, Expr.Binary, Expr.Select {

    /** The variable t (the critic's raw output). */
    Var T = new Var();

    /** A constant. */
    record Num(double value) implements Expr {
        @Override
        public String toString() { return Print.infix(this); }
    }

    /** The variable t. Use {@link Expr#T}. */
    record Var() implements Expr {
        @Override
        public String toString() { return Print.infix(this); }
    }

    /** A named parameter (bound to a number by {@link Expr#bind} before evaluation). */
    record Param(String name) implements Expr {
        @Override
        public String toString() { return Print.infix(this); }
    }

    /** fn(x). */
    record Unary(Fn fn, Expr x) implements Expr {
        @Override
        public String toString() { return Print.infix(this); }
    }

    /** a op b. */
    record Binary(Op op, Expr a, Expr b) implements Expr {
        @Override
        public String toString() { return Print.infix(this); }
    }

    /** cond &gt; 0 ? ifPositive : otherwise. Produced by the derivatives of relu, min and max. */
    record Select(Expr cond, Expr ifPositive, Expr otherwise) implements Expr {
        @Override
        public String toString() { return Print.infix(this); }
    }

    /** One-argument functions, each mapped to its {@link ScalarProgram} op code. */
    enum Fn {
        NEG("neg", ScalarProgram.NEG), EXP("exp", ScalarProgram.EXP), LOG("log", ScalarProgram.LOG),
        LOG1P("log1p", ScalarProgram.LOG1P), EXPM1("expm1", ScalarProgram.EXPM1),
        SOFTPLUS("softplus", ScalarProgram.SOFTPLUS), SIGMOID("sigmoid", ScalarProgram.SIGMOID),
        LOG_SIGMOID("log_sigmoid", ScalarProgram.LOG_SIGMOID), TANH("tanh", ScalarProgram.TANH),
        SQRT("sqrt", ScalarProgram.SQRT), ABS("abs", ScalarProgram.ABS), RELU("relu", ScalarProgram.RELU),
        SIGN("sign", ScalarProgram.SIGN), STEP("step", ScalarProgram.STEP);

        public final String symbol;
        public final int opCode;

        Fn(String symbol, int opCode) {
            this.symbol = symbol;
            this.opCode = opCode;
        }

        public double apply(double x) { return ScalarProgram.unary(opCode, x); }
    }

    /** Two-argument operators and functions, each mapped to its {@link ScalarProgram} op code. */
    enum Op {
        ADD("+", ScalarProgram.ADD), SUB("-", ScalarProgram.SUB), MUL("*", ScalarProgram.MUL),
        DIV("/", ScalarProgram.DIV), POW("^", ScalarProgram.POW), MIN("min", ScalarProgram.MIN),
        MAX("max", ScalarProgram.MAX);

        public final String symbol;
        public final int opCode;

        Op(String symbol, int opCode) {
            this.symbol = symbol;
            this.opCode = opCode;
        }

        public double apply(double a, double b) { return ScalarProgram.binary(opCode, a, b); }

        boolean commutative() { return this == ADD || this == MUL || this == MIN || this == MAX; }
    }

    static Expr num(double v) { return new Num(v); }

    /** Evaluates at t in double precision. Parameters must have been bound ({@link #bind}). */
    default double eval(double t) {
        return switch (this) {
            case Num n -> n.value();
            case Var v -> t;
            case Param p -> throw new IllegalStateException("parameter '" + p.name() + "' is not bound; call bind() first");
            case Unary u -> u.fn().apply(u.x().eval(t));
            case Binary b -> b.op().apply(b.a().eval(t), b.b().eval(t));
            case Select s -> s.cond().eval(t) > 0 ? s.ifPositive().eval(t) : s.otherwise().eval(t);
        };
    }

    /** This expression with every parameter replaced by its value; an unknown parameter is an error. */
    default Expr bind(Map<String, Double> values) {
        return switch (this) {
            case Num n -> n;
            case Var v -> v;
            case Param p -> {
                Double v = values.get(p.name());
                if (v == null) throw new UserError("parameter '" + p.name() + "' has no value; known: " + values.keySet());
                yield new Num(v);
            }
            case Unary u -> new Unary(u.fn(), u.x().bind(values));
            case Binary b -> new Binary(b.op(), b.a().bind(values), b.b().bind(values));
            case Select s -> new Select(s.cond().bind(values), s.ifPositive().bind(values), s.otherwise().bind(values));
        };
    }

    /** This expression with t replaced by {@code x} (used to fold an output activation into phi, psi, beta). */
    default Expr substitute(Expr x) {
        return switch (this) {
            case Num n -> n;
            case Var v -> x;
            case Param p -> p;
            case Unary u -> new Unary(u.fn(), u.x().substitute(x));
            case Binary b -> new Binary(b.op(), b.a().substitute(x), b.b().substitute(x));
            case Select s -> new Select(s.cond().substitute(x), s.ifPositive().substitute(x), s.otherwise().substitute(x));
        };
    }

    /** True when t occurs in this expression. */
    default boolean hasVar() {
        return switch (this) {
            case Num n -> false;
            case Var v -> true;
            case Param p -> false;
            case Unary u -> u.x().hasVar();
            case Binary b -> b.a().hasVar() || b.b().hasVar();
            case Select s -> s.cond().hasVar() || s.ifPositive().hasVar() || s.otherwise().hasVar();
        };
    }

    /** True when some parameter occurs in this expression. */
    default boolean hasParam() {
        return switch (this) {
            case Num n -> false;
            case Var v -> false;
            case Param p -> true;
            case Unary u -> u.x().hasParam();
            case Binary b -> b.a().hasParam() || b.b().hasParam();
            case Select s -> s.cond().hasParam() || s.ifPositive().hasParam() || s.otherwise().hasParam();
        };
    }

    /** Number of nodes. */
    default int size() {
        return switch (this) {
            case Num n -> 1;
            case Var v -> 1;
            case Param p -> 1;
            case Unary u -> 1 + u.x().size();
            case Binary b -> 1 + b.a().size() + b.b().size();
            case Select s -> 1 + s.cond().size() + s.ifPositive().size() + s.otherwise().size();
        };
    }

    /** Infix text in the formula language; {@link Formula#parseExpr} reads it back to an equal tree. */
    default String text() { return Print.infix(this); }
}
