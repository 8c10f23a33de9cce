package dev.sparring.gan.loss;

import dev.sparring.UserError;
import dev.sparring.backend.ScalarProgram;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles an {@link Expr} (parameters bound) to a {@link ScalarProgram}: postfix code, constants pooled.
 * For the commutative ops (+, *, min, max) the operand that needs the deeper stack is emitted first
 * (Sethi–Ullman order), so that a program fits the {@link ScalarProgram#MAX_STACK} registers of the GPU kernel.
 */
public final class Compile {
    private Compile() { }

    /**
     * @param what names the function in errors ("phi of lsgan")
     * @throws IllegalArgumentException when the expression has an unbound parameter or needs a deeper stack
     */
    public static ScalarProgram program(Expr e, String what) {
        if (e.hasParam()) throw new IllegalArgumentException(what + ": parameters must be bound before compiling: " + e);
        int need = need(e);
        if (need > ScalarProgram.MAX_STACK) {
            throw new UserError(what + " needs " + need + " stack slots, more than the " + ScalarProgram.MAX_STACK
                    + " of the loss kernel; split it into simpler terms: " + e);
        }
        List<Integer> code = new ArrayList<>();
        List<Double> consts = new ArrayList<>();
        Map<Long, Integer> pool = new HashMap<>();
        emit(e, code, consts, pool);
        int[] c = code.stream().mapToInt(Integer::intValue).toArray();
        double[] k = consts.stream().mapToDouble(Double::doubleValue).toArray();
        return new ScalarProgram(c, k);
    }

    /** Stack slots needed to evaluate e in the emitted order. */
    static int need(Expr e) {
        return switch (e) {
            case Expr.Num n -> 1;
            case Expr.Var v -> 1;
            case Expr.Param p -> 1;
            case Expr.Unary u -> need(u.x());
            case Expr.Binary b -> {
                int na = need(b.a()), nb = need(b.b());
                if (b.op().commutative()) yield na == nb ? na + 1 : Math.max(na, nb);
                yield Math.max(na, nb + 1);
            }
            case Expr.Select s -> Math.max(need(s.cond()), Math.max(need(s.ifPositive()) + 1, need(s.otherwise()) + 2));
        };
    }

    private static void emit(Expr e, List<Integer> code, List<Double> consts, Map<Long, Integer> pool) {
        switch (e) {
            case Expr.Num n -> {
                Integer idx = pool.computeIfAbsent(Double.doubleToRawLongBits(n.value()), bits -> {
                    consts.add(n.value());
                    return consts.size() - 1;
                });
                code.add(ScalarProgram.CONST);
                code.add(idx);
            }
            case Expr.Var v -> code.add(ScalarProgram.T);
            case Expr.Param p -> throw new IllegalStateException("unbound parameter " + p.name());
            case Expr.Unary u -> {
                emit(u.x(), code, consts, pool);
                code.add(u.fn().opCode);
            }
            case Expr.Binary b -> {
                if (b.op().commutative() && need(b.b()) > need(b.a())) {
                    emit(b.b(), code, consts, pool);
                    emit(b.a(), code, consts, pool);
                } else {
                    emit(b.a(), code, consts, pool);
                    emit(b.b(), code, consts, pool);
                }
                code.add(b.op().opCode);
            }
            case Expr.Select s -> {
                emit(s.cond(), code, consts, pool);
                emit(s.ifPositive(), code, consts, pool);
                emit(s.otherwise(), code, consts, pool);
                code.add(ScalarProgram.SELECT);
            }
        }
    }
}
