package dev.sparring.gan.loss;

import dev.sparring.UserError;
import dev.sparring.backend.ScalarProgram;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Simplification (values kept, stable forms found), symbolic derivatives, compilation to the kernel's bytecode. */
class ExprAlgebraTest {

    private static Expr simp(String s) { return Simplify.simplify(Formula.parseExpr(s)); }

    private static final double[] POINTS = {-7.5, -2, -0.3, 0.4, 1.7, 6};

    @Test
    void rewritesToStableForms() {
        assertEquals("log_sigmoid(t)", simp("log(sigmoid(t))").text());
        assertEquals("log_sigmoid(-t)", simp("log(1 - sigmoid(t))").text());
        assertEquals("softplus(t)", simp("log(1 + exp(t))").text());
        assertEquals("softplus(-t)", simp("log(exp(-t) + 1)").text());
        assertEquals("log_sigmoid(t)", simp("-log(1 + exp(-t))").text());
        assertEquals("log_sigmoid(t)", simp("log(1/(1 + exp(-t)))").text());
        assertEquals("sigmoid(t)", simp("exp(t)/(1 + exp(t))").text());
        assertEquals("log1p(t^2)", simp("log(1 + t^2)").text());
        assertEquals("expm1(t)", simp("exp(t) - 1").text());
        assertEquals("-expm1(t)", simp("1 - exp(t)").text());
        assertEquals("2*expm1(-0.5*t)", simp("-(2 - 2*sqrt(exp(-t)))").text());
        assertEquals("t", simp("log(exp(t))").text());
        assertEquals("log_sigmoid(t)", simp("t - softplus(t)").text());
        assertEquals("-expm1(t)", simp("-(1 - exp(-t))/exp(-t)").text(), "Hellinger's psi folded with g_f");
        assertEquals("log_sigmoid(-t) + 0.6931471805599453", simp("log(2 - exp(log(2) - softplus(-t)))").text(), "JS psi folded");
        assertEquals("1 - t", simp("-(t - 1)").text());
        assertEquals("0", simp("t - t").text());
        assertEquals("t", simp("(t + 0)*1/1").text());
        assertEquals("2*t", simp("t + t").text());
        assertEquals("exp(2*t)", simp("exp(t)*exp(t)").text());
        // exp(log(x)) is NaN for x < 0 and must stay so
        assertTrue(Double.isNaN(simp("exp(log(t))").eval(-1)));
        // the stable forms are finite where the naive ones overflow
        for (String s : List.of("log(sigmoid(t))", "log(1 - sigmoid(t))", "log(1 + exp(t))", "-log(1 + exp(-t))")) {
            for (double t : new double[] {-1e4, 1e4}) {
                assertTrue(Double.isFinite(simp(s).eval(t)), s + " at " + t + " = " + simp(s).eval(t));
            }
        }
    }

    @Test
    void simplificationKeepsValues() {
        List<String> exprs = List.of("log(1 + exp(t)) - t", "(t - 1)^2/2 - (t + 1)^2/2", "exp(t - 1)*exp(1 - t)*t",
                "-(2 - 2*sqrt(1 - (1 - exp(-t))))", "(1 - exp(-t))/(1 - (1 - exp(-t)))", "log(2*sigmoid(-t))",
                "2 - 2*sigmoid(t)", "-(-t*3)/(-2)", "relu(t - 1) - max(t, 0) + min(t, 2)", "exp(t/2)^2 - 1",
                "log(3/(1 + exp(t)))", "sqrt(t^2) + abs(-t)", "tanh(t)/2 - -t");
        for (String s : exprs) {
            Expr raw = Formula.parseExpr(s), simple = Simplify.simplify(raw);
            for (double t : POINTS) {
                double a = raw.eval(t), b = simple.eval(t);
                if (!Double.isFinite(a)) continue;
                assertEquals(a, b, 1e-12 * (1 + Math.abs(a)), s + " -> " + simple + " at t = " + t);
            }
            assertTrue(simple.size() <= raw.size() + 2, s + " grew to " + simple);
        }
    }

    @Test
    void derivativesMatchFiniteDifferences() {
        List<String> exprs = List.of("exp(-t)", "log(t^2 + 1)", "log1p(t^2)", "expm1(t/3)", "softplus(2*t)", "sigmoid(t)",
                "log_sigmoid(-t)", "tanh(t)", "sqrt(t^2 + 2)", "abs(t)", "relu(t - 1)", "min(t, 0.25*t)", "max(-t, t^3)",
                "t^3 - 2*t", "2^t", "(t^2 + 1)^(t/4)", "t/(1 + t^2)", "-(t - 0.5)^2/2", "select(t, t^2, -t)", "exp(t)*sigmoid(-t)");
        for (String s : exprs) {
            Expr e = Formula.parseExpr(s), de = Derivative.of(e);
            for (double t : POINTS) {
                double h = 1e-6 * Math.max(1, Math.abs(t));
                double fd = (e.eval(t + h) - e.eval(t - h)) / (2 * h);
                double d = de.eval(t);
                assertEquals(fd, d, 1e-6 * (1 + Math.abs(fd)), "d/dt " + s + " = " + de + " at t = " + t);
            }
        }
    }

    @Test
    void derivativesAreStable() {
        // tanh' as 4 sigmoid(2t) sigmoid(-2t): 1 - tanh^2 would round to 0 beyond |t| = 19
        Expr dtanh = Derivative.of(Formula.parseExpr("tanh(t)"));
        assertEquals(4 * Math.exp(-60), dtanh.eval(30), 1e-12 * 4 * Math.exp(-60));
        for (String s : List.of("log(sigmoid(t))", "log(1 - sigmoid(t))", "softplus(t)", "sigmoid(t)", "tanh(t)")) {
            Expr d = Derivative.of(Simplify.simplify(Formula.parseExpr(s)));
            for (double t : new double[] {-1e4, 1e4}) assertTrue(Double.isFinite(d.eval(t)), "d/dt " + s + " = " + d + " at " + t);
        }
        assertEquals("sigmoid(-t)", Derivative.of(simp("log(sigmoid(t))")).text());
        assertEquals("0", Derivative.of(Formula.parseExpr("sign(t) + step(t) + 3")).text());
    }

    @Test
    void compiledProgramsAgreeWithTheTreeBitForBit() {
        for (GanLosses.Builtin b : GanLosses.builtins()) {
            GanLoss l = b.create();
            List<Expr> trees = List.of(l.phi(), l.dphi(), l.psi(), l.dpsi(), l.beta(), l.dbeta());
            List<ScalarProgram> progs = List.of(l.compiled().phi(), l.compiled().dphi(), l.compiled().psi(), l.compiled().dpsi(),
                    l.compiled().beta(), l.compiled().dbeta());
            for (int i = 0; i < trees.size(); i++) {
                for (double t : new double[] {-1e4, -100, -3.3, -1, 0, 0.25, 1, 7, 100, 1e4}) {
                    double a = trees.get(i).eval(t), p = progs.get(i).eval(t);
                    if (Double.doubleToLongBits(a) != Double.doubleToLongBits(p)) {
                        fail(b.name() + " function " + i + " at " + t + ": tree " + a + " vs program " + p + " (" + trees.get(i) + " / " + progs.get(i) + ")");
                    }
                }
            }
        }
    }

    /** A random expression of the given depth; {@code smooth} leaves out the functions with kinks. */
    private static Expr random(java.util.Random rnd, int depth, boolean smooth) {
        if (depth == 0 || rnd.nextInt(4) == 0) {
            return switch (rnd.nextInt(3)) {
                case 0 -> new Expr.Num(List.of(-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0).get(rnd.nextInt(8)));
                default -> Expr.T;
            };
        }
        if (rnd.nextBoolean()) {
            Expr.Fn[] fns = smooth
                    ? new Expr.Fn[] {Expr.Fn.NEG, Expr.Fn.EXP, Expr.Fn.LOG, Expr.Fn.LOG1P, Expr.Fn.EXPM1, Expr.Fn.SOFTPLUS,
                    Expr.Fn.SIGMOID, Expr.Fn.LOG_SIGMOID, Expr.Fn.TANH, Expr.Fn.SQRT}
                    : Expr.Fn.values();
            return new Expr.Unary(fns[rnd.nextInt(fns.length)], random(rnd, depth - 1, smooth));
        }
        Expr.Op[] ops = smooth ? new Expr.Op[] {Expr.Op.ADD, Expr.Op.SUB, Expr.Op.MUL, Expr.Op.DIV} : Expr.Op.values();
        Expr.Op op = ops[rnd.nextInt(ops.length)];
        Expr b = op == Expr.Op.POW ? new Expr.Num(List.of(2.0, 3.0, 0.5, -1.0).get(rnd.nextInt(4))) : random(rnd, depth - 1, smooth);
        return new Expr.Binary(op, random(rnd, depth - 1, smooth), b);
    }

    /** Largest |value| of any node of e at t: the scale of the rounding error in evaluating e. */
    private static double scale(Expr e, double t) {
        double v = Math.abs(e.eval(t));
        return switch (e) {
            case Expr.Unary u -> Math.max(v, scale(u.x(), t));
            case Expr.Binary b -> Math.max(v, Math.max(scale(b.a(), t), scale(b.b(), t)));
            case Expr.Select s -> Math.max(v, Math.max(scale(s.cond(), t), Math.max(scale(s.ifPositive(), t), scale(s.otherwise(), t))));
            default -> v;
        };
    }

    /**
     * (value, d/dt) of e at t by forward-mode dual numbers, with derivative rules written here independently of
     * {@link Derivative} (a reference without the rounding noise of finite differences). One-sided at kinks,
     * matching select's "&gt; 0".
     */
    private static double[] dual(Expr e, double t) {
        return switch (e) {
            case Expr.Num n -> new double[] {n.value(), 0};
            case Expr.Var v -> new double[] {t, 1};
            case Expr.Param p -> throw new IllegalStateException("unbound");
            case Expr.Select s -> s.cond().eval(t) > 0 ? dual(s.ifPositive(), t) : dual(s.otherwise(), t);
            case Expr.Unary u -> {
                double[] x = dual(u.x(), t);
                double v = u.fn().apply(x[0]), sg = 1 / (1 + Math.exp(-x[0])), ch = Math.cosh(x[0]);
                double local = switch (u.fn()) {
                    case NEG -> -1;
                    case EXP -> Math.exp(x[0]);
                    case LOG -> 1 / x[0];
                    case LOG1P -> 1 / (1 + x[0]);
                    case EXPM1 -> Math.exp(x[0]);
                    case SOFTPLUS -> sg;
                    case SIGMOID -> sg * (1 - sg);
                    case LOG_SIGMOID -> 1 - sg;
                    case TANH -> 1 / (ch * ch);
                    case SQRT -> 0.5 / Math.sqrt(x[0]);
                    case ABS -> Math.signum(x[0]);
                    case RELU -> x[0] > 0 ? 1 : 0;
                    case SIGN, STEP -> 0;
                };
                yield new double[] {v, x[1] == 0 ? 0 : local * x[1]};
            }
            case Expr.Binary b -> {
                double[] x = dual(b.a(), t), y = dual(b.b(), t);
                double v = b.op().apply(x[0], y[0]);
                double d = switch (b.op()) {
                    case ADD -> x[1] + y[1];
                    case SUB -> x[1] - y[1];
                    case MUL -> x[1] * y[0] + x[0] * y[1];
                    case DIV -> (x[1] * y[0] - x[0] * y[1]) / (y[0] * y[0]);
                    case POW -> (y[1] == 0 ? 0 : v * Math.log(x[0]) * y[1]) + (x[1] == 0 ? 0 : y[0] * Math.pow(x[0], y[0] - 1) * x[1]);
                    case MIN -> y[0] - x[0] > 0 ? x[1] : y[1];
                    case MAX -> x[0] - y[0] > 0 ? x[1] : y[1];
                };
                yield new double[] {v, d};
            }
        };
    }

    @Test
    void randomExpressionsKeepTheirValuesAndDerivatives() {
        java.util.Random rnd = new java.util.Random(20240611);
        double[] ts = {-3.7, -1.2, -0.25, 0.3, 0.9, 2.6};
        int compared = 0, derivatives = 0;
        for (int k = 0; k < 3000; k++) {
            boolean smooth = k % 2 == 0;
            Expr e = random(rnd, 4, smooth);
            Expr s = Simplify.simplify(e);
            ScalarProgram p = Compile.program(s, "random " + e);
            for (double t : ts) {
                double a = e.eval(t), b = s.eval(t), sc = scale(e, t);
                assertEquals(Double.doubleToLongBits(b), Double.doubleToLongBits(p.eval(t)), "compiled " + s);
                if (!Double.isFinite(a) || !Double.isFinite(sc) || sc > 1e12) continue;
                assertEquals(a, b, 1e-12 * (1 + sc), e + "  ->  " + s + " at t = " + t);
                compared++;
            }
            Expr d = Derivative.of(s);
            for (double t : ts) {
                double[] dual = dual(s, t);
                if (!Double.isFinite(dual[0]) || !Double.isFinite(dual[1]) || !(scale(s, t) < 1e12)) continue;
                assertEquals(dual[1], d.eval(t), 1e-6 * (1 + Math.abs(dual[1])), "d/dt " + s + " = " + d + " at t = " + t);
                derivatives++;
            }
        }
        assertTrue(compared > 5000, "too few finite comparisons: " + compared);
        assertTrue(derivatives > 5000, "too few derivative comparisons: " + derivatives);
    }

    @Test
    void compilerRespectsTheKernelStack() {
        // a left-leaning sum of products needs 3 slots whatever its length, with the deeper operand first
        StringBuilder s = new StringBuilder("t");
        for (int i = 0; i < 40; i++) s.append(" + ").append(i + 1).append("*t");
        Expr wide = Formula.parseExpr(s.toString());
        assertTrue(Compile.need(wide) <= 3, "need " + Compile.need(wide));
        assertEquals(wide.eval(0.5), Compile.program(wide, "wide").eval(0.5), 1e-12);
        // a right-nested chain of subtractions cannot be reordered: 20 levels need more than 16 slots
        StringBuilder deep = new StringBuilder("t");
        for (int i = 0; i < 20; i++) deep.insert(0, "t - (").append(")");
        UserError e = assertThrows(UserError.class,
                () -> Compile.program(Formula.parseExpr(deep.toString()), "phi of test"));
        assertTrue(e.getMessage().contains("phi of test needs 21 stack slots"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Compile.program(Formula.parseExpr("a*t"), "unbound"));
    }
}
